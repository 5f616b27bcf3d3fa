"""User passwords (``MGI_USERS``): argon2id or scrypt hashes, checked in constant work.

``python -m assistant.serve.deps hash-password`` (or ``assistant.serve.passwords``) reads a
password from stdin and prints its argon2id hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sys

from assistant.settings import Settings


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


def main(argv: list[str]) -> int:
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
    raise SystemExit(main(sys.argv[1:]))
