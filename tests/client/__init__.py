"""Tests of the client core services (config, events, API client, sign-in, sync, drafts, PDF)."""
