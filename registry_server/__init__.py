"""The central registry server: receives, re-validates and receipts messages from the clients."""

from desktop_app import __version__

__all__ = ["__version__"]
