"""What every route needs: the opened Assistant and store, the caller's identity, and the
error bodies — shared by api.py, chat_api.py and web.py.

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
import sys
import threading
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from assistant.records import Answer
from assistant.conversations import ConversationNotFound, Store, StorageError, is_postgres_url, open_store
from assistant.settings import Settings

SESSION_COOKIE = "mgi_session"
BROWSER_COOKIE = "mgi_browser"
CSRF_HEADER = "x-csrf-token"
BROWSER_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/docs", "/openapi.json", "/api/auth/token",
                          "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/", "/swagger-ui/")
IDENTITY_FREE = ("/static/", "/swagger-ui/")  # no cookie is set on these


# ----------------------------------------------------------------------------- errors


class ErrorBody(BaseModel):
    """Every error of the API: ``{"error": "<what is wrong>"}``."""

    error: str


def _described(description: str) -> dict:
    return {"model": ErrorBody, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _described("Bad request (malformed input, invalid UTF-8, unknown filter value)"),
    401: _described("Sign-in required (access is on): send Authorization: Bearer <token>"),
    403: _described("CSRF token missing or wrong"),
    404: _described("Unknown id, or a conversation of another owner"),
    413: _described("Request body larger than the server's max_body_bytes setting"),
    422: _described("Invalid field values"),
    429: _described("Rate limit exceeded (see Retry-After)"),
    503: _described("Index not loaded, request timed out (nothing stored), or the conversation "
                    "store cannot be written (disk full, read-only, database down)"),
}


def error_json(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def wants_json(request: Request) -> bool:
    """API paths answer JSON; pages and form posts answer HTML."""
    return request.url.path.startswith("/api/") or request.url.path in ("/healthz", "/openapi.json")


# ----------------------------------------------------------------------------- responses


def no_nul(text: str, what: str) -> str:
    """Refuse NUL (and other C0 controls but tab/LF/CR) in stored or replayed text."""
    for ch in text:
        if ch == "\x00":
            raise ValueError(f"{what} contains a NUL character")
        if ord(ch) < 32 and ch not in "\t\n\r":
            raise ValueError(f"{what} contains a control character (U+{ord(ch):04X})")
    return text


class IndexState(BaseModel):
    """Whether the served index is older than the documents (and a rebuild is running)."""

    stale: bool = False
    changes: list[str] = Field(default_factory=list, description="Files changed since the build.")
    rebuilding: bool = False
    error: str | None = None


class AskResponse(Answer):
    """An Answer, plus the state of the index that produced it."""

    index: IndexState = Field(default_factory=IndexState)


def with_index(answer: Answer, assistant) -> AskResponse:
    return AskResponse.model_construct(**answer.__dict__, index=IndexState(**index_state_of(assistant)))


# ----------------------------------------------------------------------------- app state


def assistant_of(request: Request):
    """The Assistant serving this request (swapped atomically by a background rebuild)."""
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None:
        raise HTTPException(503, "the index is not loaded")
    return assistant


def database_target(settings: Settings) -> str | Path:
    """The conversation database: a postgresql:// URL, or the SQLite path."""
    raw = getattr(settings, "database_url", "") or ""
    if is_postgres_url(raw):
        return raw
    text = str(settings.database)
    if text.startswith(("postgresql:/", "postgres:/")) and not is_postgres_url(text):
        return text.replace(":/", "://", 1)  # a URL that went through Path()
    return settings.database


def store_of(request: Request) -> Store:
    """The conversation store of the app's settings (StorageError → 503 by the handlers)."""
    return open_store(database_target(request.app.state.settings))


def index_state_of(assistant) -> dict:
    """``{"stale", "changes", "rebuilding"}`` of the served index (fresh when unknown)."""
    state = getattr(assistant, "index_state", None) or {}
    return {"stale": bool(state.get("stale")), "changes": list(state.get("changes", []))[:20],
            "rebuilding": bool(state.get("rebuilding")), **({"error": state["error"]} if state.get("error") else {})}


def public_base(settings: Settings) -> str:
    """Base URL for links in exports: the configured public URL, never the Host header."""
    configured = (getattr(settings, "public_url", "") or "").strip().rstrip("/")
    return configured or f"http://{settings.host}:{settings.port}"


# ----------------------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    """An argon2id hash (argon2-cffi) for ``MGI_USERS``."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Check a password against an argon2 hash or ``scrypt$n$r$p$salt-hex$key-hex``."""
    if stored.startswith("$argon2"):
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error, InvalidHashError

        try:
            return PasswordHasher().verify(stored, password)
        except (Argon2Error, InvalidHashError):
            return False
    if stored.startswith("scrypt$"):
        try:
            _, n, r, p, salt, key = stored.split("$")
            derived = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                                     p=int(p), maxmem=128 * 2**20, dklen=len(key) // 2)
        except (ValueError, MemoryError):
            return False
        return hmac.compare_digest(derived.hex(), key)
    return False


def parse_users(text: str) -> dict[str, str]:
    """``name:hash`` entries separated by ';' or whitespace (hashes contain ',' and '=')."""
    users = {}
    for entry in text.replace(";", " ").split():
        name, _, hashed = entry.partition(":")
        if name and hashed:
            users[name] = hashed
    return users


_DUMMY_HASH: list[str] = []


def check_user(settings: Settings, name: str, password: str) -> bool:
    """Whether ``name``/``password`` is a configured user (same work for unknown names)."""
    stored = parse_users(settings.users).get(name)
    if stored is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hash_password(secrets.token_hex(8)))
        verify_password(_DUMMY_HASH[0], password)
        return False
    return verify_password(stored, password)


# ----------------------------------------------------------------------------- identity


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
            key = self.access._key or await run_in_threadpool(
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


def csrf_of(request: Request) -> str:
    """The caller's CSRF token (hidden field in forms that change state)."""
    state = request.scope.get("state", {})
    access, key, identity = state.get("mgi_access"), state.get("mgi_key"), state.get("mgi_identity")
    if not (access and key and identity):
        return ""
    return access.csrf_token(key, identity.owner)


def csrf_valid(request: Request, token: str | None) -> bool:
    state = request.scope.get("state", {})
    access, key, identity = state.get("mgi_access"), state.get("mgi_key"), state.get("mgi_identity")
    return bool(access and key and identity) and access.csrf_ok(key, identity.owner, token)


def not_found(missing: ConversationNotFound) -> HTTPException:
    return HTTPException(404, str(missing))


def _main(argv: list[str]) -> int:
    """``python -m assistant.serve.deps hash-password`` reads a password, prints its hash."""
    if argv[:1] != ["hash-password"]:
        print("usage: python -m assistant.serve.deps hash-password  (reads the password from stdin)",
              file=sys.stderr)
        return 2
    import getpass

    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if not password:
        print("error: empty password", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main(sys.argv[1:]))
