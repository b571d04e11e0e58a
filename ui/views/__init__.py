"""The list pages of the main window, one per file; each shows a model and emits requests."""
