"""Reminders the registry computes: expected cases imported from outside the clinical
messages, rules declared as data (resources/reminder_rules.json), and the job that applies
them."""
