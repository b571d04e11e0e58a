"""FastAPI dependencies: database session, the signed-in user, the loaded form catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from desktop_app.forms import Catalogue
from registry_server.settings import ServerSettings
from registry_server.tokens import Principal, principal_for_token

_bearer = HTTPBearer(
    auto_error=False, description="The access_token from POST /auth/token or /auth/refresh."
)


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


def get_catalogue(request: Request) -> Catalogue:
    return request.app.state.catalogue


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise _unauthorized("You are not signed in; sign in and try again.")
    # A session of its own, closed at once: a request-long session would hold a pooled
    # connection while the route opens others (submit does), and twenty requests at once
    # would then wait on each other for the whole pool timeout.
    with request.app.state.session_factory() as session:
        address = request.client.host if request.client else None
        principal = principal_for_token(session, credentials.credentials, address)
    if principal is None:
        raise _unauthorized("Your sign-in has expired or is not valid; sign in again.")
    return principal


SessionDep = Annotated[Session, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
