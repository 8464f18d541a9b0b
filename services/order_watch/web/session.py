"""Staff web UI sessions: sign in with a token, keep it in a cookie, guard every form with a CSRF token.

The session cookie (HttpOnly, SameSite=Strict, Secure over https) holds the token itself and is
checked against the token table on every request, so a revoked token is refused at once. Every
form carries a CSRF token: HMAC-SHA256 of the session (the token's hash) under the UI secret
(`ORDER_WATCH_UI_SECRET`, else random per process). Before sign-in, the sign-in form is bound the
same way to a random nonce cookie. A one-time notice ("Acknowledged ORD-1") rides a short cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import Depends, Request, Response

from services.common.problems import Problem
from services.order_watch.auth.service import active_token
from services.order_watch.auth.tokens import ACT_ON_ALERTS, ACT_ON_TASKS, Actor, Role, token_hash
from services.order_watch.settings import OrderWatchSettings

SESSION_COOKIE = "ow_session"
SIGN_IN_COOKIE = "ow_sign_in"
NOTICE_COOKIE = "ow_notice"
CSRF_FIELD = "csrf"
UI_HOME = "/ui/cases"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person and the CSRF token their forms carry."""

    actor: Actor
    csrf: str

    @property
    def can_act_on_alerts(self) -> bool:
        return self.actor.role in ACT_ON_ALERTS

    @property
    def can_act_on_tasks(self) -> bool:
        return self.actor.role in ACT_ON_TASKS


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def ui_secret(settings: OrderWatchSettings) -> bytes:
    """The CSRF key: the configured secret, else random for this process."""
    return settings.ui_secret.encode() if settings.ui_secret else secrets.token_bytes(32)


def csrf_token(secret: bytes, session_key: str) -> str:
    return hmac.new(secret, session_key.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, session_key: str, offered: object) -> bool:
    return isinstance(offered, str) and hmac.compare_digest(csrf_token(secret, session_key), offered)


def safe_next(path: str | None, default: str = UI_HOME) -> str:
    """Where to go after signing in or acting: only a page of this UI (never another site)."""
    if path and path.startswith("/ui/") and "\\" not in path:
        return path
    return default


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=_secure(request)
    )


def _forget(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=_secure(request))


async def viewer_of(request: Request) -> Viewer | None:
    """The person behind the session cookie, if the token is still active."""
    plain = request.cookies.get(SESSION_COOKIE)
    if not plain:
        return None
    actor = await active_token(request.app.state.statements, plain)
    if actor is None:
        return None
    return Viewer(actor, csrf_token(request.app.state.ui_secret, token_hash(plain)))


async def signed_in(request: Request) -> Viewer:
    """Dependency of every page: the viewer, or a redirect to sign in."""
    viewer = await viewer_of(request)
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target if request.method == "GET" else UI_HOME)
    return viewer


async def form_checked(request: Request, viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    """Dependency of every form post: a session and the CSRF token that belongs to it."""
    form = await request.form()
    plain = request.cookies.get(SESSION_COOKIE, "")
    if not csrf_valid(request.app.state.ui_secret, token_hash(plain), form.get(CSRF_FIELD)):
        raise Problem(403, "Forbidden", "missing or wrong CSRF token; reload the page and try again")
    return viewer


def acting(roles: frozenset[Role]) -> Callable[..., Awaitable[Viewer]]:
    """Dependency of a form post that changes something: CSRF checked, role allowed."""

    async def check(viewer: Annotated[Viewer, Depends(form_checked)]) -> Viewer:
        if viewer.actor.role not in roles:
            raise Problem(403, "Forbidden", f"role {viewer.actor.role.value!r} may only read")
        return viewer

    return check


SignedIn = Annotated[Viewer, Depends(signed_in)]
FormPoster = Annotated[Viewer, Depends(form_checked)]
AlertActing = Annotated[Viewer, Depends(acting(ACT_ON_ALERTS))]
TaskActing = Annotated[Viewer, Depends(acting(ACT_ON_TASKS))]


def start_session(response: Response, request: Request, plain: str) -> None:
    _cookie(response, request, SESSION_COOKIE, plain)
    _forget(response, request, SIGN_IN_COOKIE)


def end_session(response: Response, request: Request) -> None:
    _forget(response, request, SESSION_COOKIE)


def sign_in_binding(request: Request) -> tuple[str, str]:
    """The sign-in form's nonce (the cookie's, else a new one) and the CSRF token bound to it."""
    nonce = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)
    return nonce, csrf_token(request.app.state.ui_secret, f"sign-in:{nonce}")


def keep_sign_in_nonce(response: Response, request: Request, nonce: str) -> None:
    _cookie(response, request, SIGN_IN_COOKIE, nonce, max_age=3600)


def sign_in_csrf_valid(request: Request, offered: str) -> bool:
    nonce = request.cookies.get(SIGN_IN_COOKIE)
    return bool(nonce) and csrf_valid(request.app.state.ui_secret, f"sign-in:{nonce}", offered)


def leave_notice(response: Response, request: Request, text: str) -> None:
    """A one-line message the next page shows once."""
    _cookie(response, request, NOTICE_COOKIE, quote(text[:300]), max_age=60)


def notice_of(request: Request) -> str | None:
    text = request.cookies.get(NOTICE_COOKIE)
    return unquote(text) if text is not None else None


def forget_notice(response: Response, request: Request) -> None:
    _forget(response, request, NOTICE_COOKIE)
