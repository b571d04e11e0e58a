"""Desktop client core for reporting to the clinical cancer registries (no Qt widgets)."""

__version__ = "0.1.0"
