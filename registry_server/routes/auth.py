"""POST /auth/token: username and password for a bearer token."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException

from registry_server.accounts import authenticate, issue_token
from registry_server.deps import SessionDep, SettingsDep
from registry_server.models import Unit, iso_utc
from registry_server.schemas import Problem, TokenRequest, TokenResponse

log = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses={401: {"model": Problem, "description": "Wrong username or password."}},
)
def sign_in(request: TokenRequest, session: SessionDep, settings: SettingsDep) -> dict:
    user = authenticate(session, request.username, request.password)
    if user is None:
        log.info("Sign-in refused")  # no username: it may be a mistyped password
        raise HTTPException(
            401, "Wrong username or password.", headers={"WWW-Authenticate": "Bearer"}
        )
    token, expires_at = issue_token(session, user, settings.token_ttl)
    unit = session.get_one(Unit, user.unit_id)
    session.commit()
    log.info("User %s signed in", user.username)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_at": iso_utc(expires_at),
        "user": {
            "username": user.username,
            "display_name": user.display_name,
            "unit": unit.to_dict(),
        },
    }
