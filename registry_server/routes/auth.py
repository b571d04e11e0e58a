"""Signing in and out: POST /auth/token (username and password), /auth/refresh (a refresh
token), /auth/sign-out and /auth/password. Tokens are registry_server.tokens; failed
attempts are throttled (registry_server.throttle) and every outcome is audited."""

from __future__ import annotations

import logging
import math

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_server import audit, throttle
from registry_server.accounts import authenticate, set_password
from registry_server.deps import PrincipalDep, SessionDep, SettingsDep
from registry_server.models import Unit, User, iso_utc
from registry_server.passwords import verify_password
from registry_server.schemas import (
    PasswordChange,
    Problem,
    RefreshRequest,
    TokenRequest,
    TokenResponse,
)
from registry_server.settings import ServerSettings
from registry_server.tokens import (
    Issued,
    escrow_key_of,
    issue_tokens,
    revoke_other_sign_ins,
    revoke_sign_in,
    use_refresh_token,
)

log = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])

_WRONG = "Wrong username or password."
_EXPIRED = "Your sign-in has expired or was revoked; sign in again with your password."
_RATE_LIMITED = {
    "model": Problem,
    "description": "Too many failed attempts: wait the Retry-After seconds, then try again.",
    "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
}


def _address(request: Request) -> str | None:
    # Behind a load balancer, run uvicorn with --proxy-headers and --forwarded-allow-ips so
    # this is the client's address, not the balancer's.
    return request.client.host if request.client else None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _audit(
    session: Session,
    action: str,
    username: str | None,
    unit_id: int | None,
    address: str | None,
    status: int,
) -> None:
    audit.record(
        session,
        [audit.entry(action, username=username, unit_id=unit_id, address=address, status=status)],
    )


def _count_attempt(
    session: Session, username: str, address: str | None, settings: ServerSettings
) -> throttle.Attempt:
    """Count this attempt (committed) before the password is checked, or refuse it with 429:
    counting first is what stops parallel guesses from all passing before any is counted."""
    attempt = throttle.count_attempt(session, username, address, settings)
    if not attempt.wait:
        return attempt
    known = session.scalar(select(User.id).where(User.username == username)) is not None
    _audit(session, audit.SIGN_IN_RATE_LIMITED, username if known else None, None, address, 429)
    session.commit()
    seconds = max(1, math.ceil(attempt.wait))
    raise HTTPException(
        429,
        f"Too many failed sign-in attempts; wait {seconds} seconds, then try again. If you "
        "have forgotten your password, ask your unit's administrator to reset it.",
        headers={"Retry-After": str(seconds)},
    )


def _token_answer(session: Session, user: User, issued: Issued) -> dict:
    unit = session.get_one(Unit, user.unit_id)
    return {
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_at": iso_utc(issued.access_expires_at),
        "refresh_token": issued.refresh_token,
        "refresh_expires_at": iso_utc(issued.refresh_expires_at),
        "user": {
            "username": user.username,
            "display_name": user.display_name,
            "unit": unit.to_dict(),
            "escrow_key": escrow_key_of(session, user),
        },
    }


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses={
        401: {"model": Problem, "description": "Wrong username or password."},
        429: _RATE_LIMITED,
    },
)
def sign_in(
    request: Request, body: TokenRequest, session: SessionDep, settings: SettingsDep
) -> dict:
    address = _address(request)
    attempt = _count_attempt(session, body.username, address, settings)
    user = authenticate(session, body.username, body.password)
    if user is None:
        known = session.scalar(select(User.id).where(User.username == body.username))
        username = body.username if known else None
        _audit(session, audit.SIGN_IN_REFUSED, username, None, address, 401)
        session.commit()
        log.info("Sign-in refused")  # no username: it may be a mistyped password
        raise _unauthorized(_WRONG)
    throttle.succeeded(session, attempt)
    issued = issue_tokens(session, user.id, settings.token_ttl, settings.refresh_token_ttl)
    answer = _token_answer(session, user, issued)
    _audit(session, audit.SIGN_IN, user.username, user.unit_id, address, 200)
    session.commit()
    log.info("User %s signed in", user.username)
    return answer


@router.post(
    "/auth/refresh",
    response_model=TokenResponse,
    responses={
        401: {
            "model": Problem,
            "description": "The refresh token is unknown, expired, revoked or was used before "
            "(then its whole sign-in is revoked).",
        }
    },
)
def refresh(
    request: Request, body: RefreshRequest, session: SessionDep, settings: SettingsDep
) -> dict:
    """New access and refresh tokens for the same sign-in; the refresh token sent is spent."""
    address = _address(request)
    outcome, user, issued = use_refresh_token(
        session, body.refresh_token, settings.token_ttl, settings.refresh_token_ttl
    )
    if outcome == "reused" and user is not None:
        _audit(session, audit.REFRESH_REUSED, user.username, user.unit_id, address, 401)
        session.commit()
        log.warning("A used refresh token of %s came again; that sign-in is revoked", user.username)
        raise _unauthorized(_EXPIRED)
    if outcome != "refreshed" or user is None or issued is None:
        session.rollback()
        raise _unauthorized(_EXPIRED)
    answer = _token_answer(session, user, issued)
    _audit(session, audit.REFRESH, user.username, user.unit_id, address, 200)
    session.commit()
    return answer


@router.post(
    "/auth/sign-out",
    status_code=204,
    response_class=Response,
    responses={401: {"model": Problem}},
)
def sign_out(principal: PrincipalDep, session: SessionDep) -> Response:
    """Revoke the access and refresh tokens of this sign-in."""
    if principal.sign_in is not None:
        revoke_sign_in(session, principal.sign_in)
    audit.record(session, [audit.entry(audit.SIGN_OUT, principal=principal, status=204)])
    session.commit()
    return Response(status_code=204)


@router.post(
    "/auth/password",
    status_code=204,
    response_class=Response,
    responses={
        401: {"model": Problem},
        403: {"model": Problem, "description": "The current password is not right."},
        422: {"model": Problem, "description": "The new password is too short."},
        429: _RATE_LIMITED,
    },
)
def change_password(
    request: Request,
    body: PasswordChange,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Change the signed-in user's password; the user's other sign-ins are revoked (this
    one stays signed in). Wrong current passwords count as failed sign-ins."""
    attempt = _count_attempt(session, principal.username, principal.address, settings)
    user = session.get_one(User, principal.user_id)
    if not verify_password(body.current_password, user.password_hash):
        audit.record(
            session,
            [audit.entry(audit.PASSWORD_CHANGE_REFUSED, principal=principal, status=403)],
        )
        session.commit()
        raise HTTPException(
            403, "The current password is not right; type it again to change your password."
        )
    throttle.succeeded(session, attempt)
    if len(body.new_password) < settings.min_password_length:
        session.commit()  # the right current password: its count taken back
        raise HTTPException(
            422,
            f"The new password is too short; choose one of at least "
            f"{settings.min_password_length} characters.",
        )
    set_password(session, user, body.new_password)
    revoke_other_sign_ins(session, user.id, keep=principal.sign_in)
    audit.record(session, [audit.entry(audit.PASSWORD_CHANGED, principal=principal, status=204)])
    session.commit()
    log.info("User %s changed their password", principal.username)
    return Response(status_code=204)
