"""Who is asking: sign-in, signed cookies, bearer tokens and CSRF tokens (``AccessMiddleware``).

Access model (docs/deploy.md, "Who may see what"):

- **Access off** (``MGI_SECRET`` empty, the default): no sign-in. Each browser gets a
  random id in a signed, HttpOnly, SameSite=Lax cookie (``mgi_browser``); the conversations
  it creates belong to that id. The signing key is made once per database (``Store.secret``)
  so every worker and replica accepts the same cookies.
- **Access on** (``MGI_SECRET`` set): every page except /login, /healthz, the static files
  and the API schema needs a signed-in user. The web signs in with a user name and password
  (``MGI_USERS``, argon2id or scrypt hashes) and gets a signed session cookie
  (``mgi_session``); the API sends ``Authorization: Bearer <token>`` with a token from
  ``POST /api/auth/token``. Sessions and tokens are signed with the secret (itsdangerous)
  and expire after ``session_max_age_s``; removing a user or changing the secret ends them.
- Conversations belong to their owner (``user:<name>`` or ``browser:<id>``): another
  owner's conversation is answered exactly like an unknown id, 404, for list, read, ask,
  export and delete. Deleting needs a CSRF token (a form field on the web, the
  ``X-CSRF-Token`` header for cookie-authenticated API calls; bearer calls carry no ambient
  credential and need none).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from http.cookies import SimpleCookie

from fastapi import HTTPException, Request

from assistant.conversations import StorageError, open_store
from assistant.serve.handlers import error_json
from assistant.serve.passwords import parse_users
from assistant.serve.store import database_target
from assistant.settings import Settings

SESSION_COOKIE = "mgi_session"
BROWSER_COOKIE = "mgi_browser"
CSRF_HEADER = "x-csrf-token"
BROWSER_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/docs", "/openapi.json", "/api/auth/token",
                          "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/", "/swagger-ui/")
IDENTITY_FREE = ("/static/", "/swagger-ui/")  # no cookie is set on these


@dataclass
class Identity:
    """Who is asking: ``owner`` keys their conversations."""

    owner: str
    user: str | None = None  # signed-in user name (access on)
    via: str = "browser"  # "session", "bearer" or "browser"
    new_browser: str | None = None  # a browser id to set as a cookie on this response


class Access:
    """Signing and checking of cookies, tokens and CSRF tokens for one app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.enabled = bool(settings.secret)
        self._key: bytes | None = settings.secret.encode() if settings.secret else None
        self._lock = threading.Lock()

    @property
    def known_key(self) -> bytes | None:
        """The signing key when it is known without opening the store (the secret, or a
        key fetched before), else None."""
        return self._key

    def key(self, store_opener) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    self._key = store_opener().secret()
        return self._key

    def _serializer(self, key: bytes, salt: str):
        from itsdangerous import URLSafeTimedSerializer

        return URLSafeTimedSerializer(key, salt=salt)

    def session_cookie(self, key: bytes, user: str) -> str:
        return self._serializer(key, "mgi-session").dumps({"u": user})

    def token(self, key: bytes, user: str) -> str:
        return self._serializer(key, "mgi-api-token").dumps({"u": user})

    def _user_from(self, key: bytes, salt: str, value: str) -> str | None:
        from itsdangerous import BadData

        try:
            data = self._serializer(key, salt).loads(value, max_age=self.settings.session_max_age_s)
        except BadData:
            return None
        user = data.get("u") if isinstance(data, dict) else None
        return user if isinstance(user, str) and user in parse_users(self.settings.users) else None

    def browser_cookie(self, key: bytes, browser: str) -> str:
        from itsdangerous import Signer

        return Signer(key, salt="mgi-browser").sign(browser.encode()).decode()

    def _browser_from(self, key: bytes, value: str) -> str | None:
        from itsdangerous import BadSignature, Signer

        try:
            browser = Signer(key, salt="mgi-browser").unsign(value.encode()).decode()
        except (BadSignature, UnicodeDecodeError):
            return None
        return browser if len(browser) == 32 and all(c in "0123456789abcdef" for c in browser) else None

    def csrf_token(self, key: bytes, owner: str) -> str:
        return hmac.new(key, b"csrf:" + owner.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, key: bytes, owner: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(key, owner), str(token))

    def identify(self, key: bytes, cookies: dict[str, str], authorization: str | None) -> Identity | None:
        """The caller's identity, or None when access is on and nobody is signed in."""
        if self.enabled:
            if authorization and authorization.lower().startswith("bearer "):
                user = self._user_from(key, "mgi-api-token", authorization[7:].strip())
                return Identity(owner=f"user:{user}", user=user, via="bearer") if user else None
            session = cookies.get(SESSION_COOKIE)
            user = self._user_from(key, "mgi-session", session) if session else None
            return Identity(owner=f"user:{user}", user=user, via="session") if user else None
        browser = self._browser_from(key, cookies[BROWSER_COOKIE]) if BROWSER_COOKIE in cookies else None
        if browser:
            return Identity(owner=f"browser:{browser}")
        fresh = secrets.token_hex(16)
        return Identity(owner=f"browser:{fresh}", new_browser=fresh)

    def secure_cookies(self) -> bool:
        return (self.settings.public_url or "").lower().startswith("https://")


def _cookies(scope) -> dict[str, str]:
    jar = SimpleCookie()
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no cookie
                continue
    return {name: morsel.value for name, morsel in jar.items()}


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def cookie_header(name: str, value: str, max_age: int, secure: bool) -> bytes:
    flags = f"; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
    return f"{name}={value}{flags}".encode("latin-1")


class AccessMiddleware:
    """Resolves the caller's identity into ``scope["state"]["mgi_identity"]``; with access
    on, refuses anonymous callers (401 JSON for /api, 303 to /login for pages); with access
    off, sets the browser cookie on a browser's first response."""

    def __init__(self, app, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.access = Access(settings)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(IDENTITY_FREE):
            await self.app(scope, receive, send)
            return
        from starlette.concurrency import run_in_threadpool

        path = scope.get("path", "")
        try:
            key = self.access.known_key or await run_in_threadpool(
                self.access.key, lambda: open_store(database_target(self.settings)))
        except StorageError as error:
            await _fault(scope, receive, send, 503, str(error))
            return
        identity = self.access.identify(key, _cookies(scope), _header(scope, b"authorization"))
        state = scope.setdefault("state", {})
        state["mgi_identity"] = identity
        state["mgi_access"] = self.access
        state["mgi_key"] = key
        public = path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
        if identity is None and not public:
            if path.startswith("/api/"):
                bearer = (_header(scope, b"authorization") or "").lower().startswith("bearer ")
                message = ("invalid or expired bearer token" if bearer else
                           "sign-in required: send Authorization: Bearer <token> from POST /api/auth/token")
                await error_json(401, message, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            else:
                from urllib.parse import quote

                from starlette.responses import RedirectResponse

                target = path + (("?" + scope["query_string"].decode("latin-1")) if scope.get("query_string") else "")
                await RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)(scope, receive, send)
            return
        if identity is None or identity.new_browser is None or path == "/healthz":
            await self.app(scope, receive, send)
            return
        cookie = cookie_header(BROWSER_COOKIE, self.access.browser_cookie(key, identity.new_browser),
                               BROWSER_MAX_AGE, self.access.secure_cookies())

        async def with_cookie(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, with_cookie)


async def _fault(scope, receive, send, status: int, message: str) -> None:
    path = scope.get("path", "")
    if path.startswith("/api/") or path == "/healthz":
        await error_json(status, message, {"Retry-After": "30"})(scope, receive, send)
        return
    from starlette.responses import HTMLResponse
    from html import escape

    page = (f"<!doctype html><html lang=en><meta charset=utf-8><title>{status} – MGI Assistant</title>"
            f"<h1>Service unavailable</h1><p>{escape(message)}</p><p>Please try again later.</p></html>")
    await HTMLResponse(page, status_code=status, headers={"Retry-After": "30"})(scope, receive, send)


def identity_of(request: Request) -> Identity:
    identity = request.scope.get("state", {}).get("mgi_identity")
    if identity is None:  # routes mounted without the middleware (never in create_app)
        raise HTTPException(401, "sign-in required")
    return identity


def owner_of(request: Request) -> str:
    """The owner key of the caller's conversations."""
    return identity_of(request).owner


def _signing(request: Request) -> tuple[Access, bytes, Identity] | None:
    """The request's (access, key, identity), when the middleware resolved all three."""
    state = request.scope.get("state", {})
    access, key, identity = state.get("mgi_access"), state.get("mgi_key"), state.get("mgi_identity")
    return (access, key, identity) if access and key and identity else None


def csrf_of(request: Request) -> str:
    """The caller's CSRF token (hidden field in forms that change state)."""
    signing = _signing(request)
    if signing is None:
        return ""
    access, key, identity = signing
    return access.csrf_token(key, identity.owner)


def csrf_valid(request: Request, token: str | None) -> bool:
    signing = _signing(request)
    if signing is None:
        return False
    access, key, identity = signing
    return access.csrf_ok(key, identity.owner, token)
