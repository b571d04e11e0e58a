"""The owner check every repository bound to a clinician makes (local_cache.user_cache)."""

from __future__ import annotations

from local_cache.codec import PayloadCodec
from local_cache.errors import NotOwner


def check_binding(codec: PayloadCodec, owner: str | None) -> None:
    if owner is None and codec.encrypted:
        raise ValueError("An encrypting codec belongs to one owner: pass owner.")


def owner_for(bound: str | None, given: str | None) -> str:
    """The owner a call is for: the bound one (an argument naming another user is refused);
    an unbound repository (tools, tests) needs it given."""
    if bound is None:
        if not given:
            raise ValueError("An unbound repository needs the owner.")
        return given
    if given is not None and given != bound:
        raise NotOwner(given)
    return bound
