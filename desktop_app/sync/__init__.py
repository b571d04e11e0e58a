"""Talking to the registry server: the HTTP client and the background sync engine."""
