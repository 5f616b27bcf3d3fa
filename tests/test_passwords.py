"""User passwords (serve/passwords.py): argon2id and scrypt hashes, MGI_USERS."""

from __future__ import annotations

import io
import sys

from assistant.serve.passwords import check_user, hash_password, main, parse_users, verify_password
from assistant.settings import Settings


def test_password_hashes():
    hashed = hash_password("pw")
    assert hashed.startswith("$argon2id$") and verify_password(hashed, "pw") and not verify_password(hashed, "pW")
    import hashlib

    key = hashlib.scrypt(b"pw", salt=b"salt", n=2**14, r=8, p=1, dklen=32).hex()
    scrypt = f"scrypt$16384$8$1${b'salt'.hex()}${key}"
    assert verify_password(scrypt, "pw") and not verify_password(scrypt, "px")
    assert not verify_password("plaintext", "plaintext")  # only real hashes are accepted
    assert parse_users(f"ana:{hashed}; bob:{scrypt}\ncarol:{hashed}") == {"ana": hashed, "bob": scrypt, "carol": hashed}


def test_users_are_name_hash_entries():
    assert parse_users("ana:$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA; bob:scrypt$1$2$3$aa$bb  bad") == {
        "ana": "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "bob": "scrypt$1$2$3$aa$bb"}


def test_check_user_knows_only_configured_users():
    settings = Settings(users=f"ana:{hash_password('pw')}")
    assert check_user(settings, "ana", "pw")
    assert not check_user(settings, "ana", "px") and not check_user(settings, "eve", "pw")


def test_hash_password_command(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret\n"))
    assert main(["hash-password"]) == 0
    assert verify_password(capsys.readouterr().out.strip(), "s3cret")
    assert main([]) == 2 and "usage" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert main(["hash-password"]) == 2
