"""The conversation store interface, run against both backends: SQLite (a temp file, WAL)
and PostgreSQL (a real server; ``MGI_TEST_POSTGRES_URL``, which .ci/run sets after
installing and starting Debian's postgresql). Each PostgreSQL test gets its own schema.

Without a server URL the PostgreSQL cases skip on a developer machine and FAIL in CI
(``CI=true``), so CI cannot pass without having run them. No model, no index: answers are
built by hand, so these are fast.
"""

from __future__ import annotations

import os
import threading
import uuid
from contextlib import contextmanager

import pytest

from assistant.conversations import (
    ConversationNotFound,
    SQLiteStore,
    Store,
    is_postgres_url,
    open_store,
)
from assistant.records import Answer, Citation, DocumentRef, Filters

POSTGRES_URL = os.environ.get("MGI_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def answer(question: str = "Which laws guarantee migrants access to health care?", quote: str = "Artículo 8.") -> Answer:
    citation = Citation(n=1, quote=quote, chunk_id="ley:0", start=0, end=len(quote), score=1.0,
                        section="Capítulo I", article="Artículo 8", page=3,
                        document=DocumentRef(id="ley", title="Ley", file="ley.pdf", kind="law", language="es"))
    return Answer(question=question, answer=f"“{quote}” [1]", refused=False, citations=[citation])


@contextmanager
def postgres_schema():
    """A fresh schema on the test server; the URL selects it through search_path."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_factory(request, tmp_path):
    """A function returning a store (the same database on every call, like two workers)."""
    opened: list = []
    if request.param == "sqlite":
        path = tmp_path / "conversations.sqlite3"

        def make():
            opened.append(SQLiteStore(path))
            return opened[-1]

        yield make
        return
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI must run the PostgreSQL store tests: MGI_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server: set MGI_TEST_POSTGRES_URL (CI always does)")
    from assistant.conversations.postgres import PostgresStore

    with postgres_schema() as url:
        def make():
            opened.append(PostgresStore(url))
            return opened[-1]

        yield make
        for store in opened:
            store.close()


@pytest.fixture()
def store(store_factory) -> Store:
    return store_factory()


def test_both_backends_implement_the_interface(store):
    assert isinstance(store, Store)
    assert store.backend in ("sqlite", "postgresql")
    assert "password" not in store.where and ":mgi@" not in store.where  # no credentials shown


def test_round_trip_keeps_the_full_answer(store):
    created = store.create(owner="user:ana")
    filters = Filters(kind=["law"])
    first = answer()
    assert store.add_turn(created.id, first, filters, owner="user:ana").n == 1
    again = store.get(created.id, "user:ana")
    assert again.title == first.question  # the first question names the conversation
    [turn] = again.turns
    assert turn.answer == first and turn.filters == filters
    assert [s.id for s in store.recent(owner="user:ana")] == [created.id]
    assert store.recent(owner="user:ana")[0].turns == 1


def test_another_owner_sees_nothing(store):
    """The isolation the access model relies on: list, read, turn, ask and delete of another
    owner's conversation behave exactly as for an unknown id."""
    mine = store.create("mine", owner="user:ana")
    store.add_turn(mine.id, answer(), owner="user:ana")
    assert store.recent(owner="user:bob") == []
    for operation in (
        lambda: store.get(mine.id, "user:bob"),
        lambda: store.turn(mine.id, 1, "user:bob"),
        lambda: store.add_turn(mine.id, answer(), owner="user:bob"),
        lambda: store.delete(mine.id, "user:bob"),
    ):
        with pytest.raises(ConversationNotFound, match="unknown conversation id"):
            operation()
    assert len(store.get(mine.id, "user:ana").turns) == 1  # untouched
    store.delete(mine.id, "user:ana")
    with pytest.raises(ConversationNotFound):
        store.get(mine.id, "user:ana")


@pytest.mark.parametrize("bad", ["..", "../../etc/passwd", "' OR 1=1 --", "A" * 32, "0" * 31])
def test_malformed_ids_never_reach_the_database(store, bad):
    with pytest.raises(ConversationNotFound, match="invalid conversation id"):
        store.get(bad)


def test_concurrent_appends_from_two_workers_get_distinct_turns(store_factory):
    """Two store instances on one database (two workers / replicas), 4 threads each,
    appending to the same conversation: every turn is stored once, numbered 1..N."""
    first, second = store_factory(), store_factory()
    conversation = first.create(owner="o")
    errors: list[BaseException] = []

    def worker(store, n):
        try:
            for i in range(5):
                store.add_turn(conversation.id, answer(f"question {n}-{i}"), owner="o")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(first if n % 2 else second, n)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    turns = first.get(conversation.id).turns
    assert [t.n for t in turns] == list(range(1, 41))
    assert len({t.question for t in turns}) == 40


def test_a_refusing_guard_stores_nothing(store):
    """The timeout's TurnGuard raises inside the write: the transaction stores no turn."""
    from assistant.serve.timeout import RequestAbandoned, TurnGuard

    conversation = store.create(owner="o")
    guard = TurnGuard()
    assert guard.abandon()
    with pytest.raises(RequestAbandoned):
        store.add_turn(conversation.id, answer(), owner="o", guard=guard)
    assert store.get(conversation.id).turns == []
    assert store.add_turn(conversation.id, answer(), owner="o", guard=TurnGuard()).n == 1


def test_rate_buckets_are_shared_between_workers(store_factory):
    first, second = store_factory(), store_factory()
    now = 1_000_000.0
    assert [first.take_token("rate:10.0.0.1", 3, 3 / 60, now) for _ in range(2)] == [0.0, 0.0]
    assert second.take_token("rate:10.0.0.1", 3, 3 / 60, now) == 0.0
    assert first.take_token("rate:10.0.0.1", 3, 3 / 60, now) == pytest.approx(20.0)  # spent in 2 processes
    assert second.take_token("rate:10.0.0.2", 3, 3 / 60, now) == 0.0  # per client
    assert second.take_token("rate:10.0.0.1", 3, 3 / 60, now + 20) == 0.0  # refilled one


def test_cookie_secret_is_one_per_database(store_factory):
    first, second = store_factory(), store_factory()
    assert first.secret() == second.secret() and len(first.secret()) == 32


def test_health_is_a_real_write(store):
    health = store.health()
    assert health["ok"] is True and health["backend"] == store.backend


def test_open_store_chooses_the_backend_by_url(tmp_path):
    assert is_postgres_url("postgresql://u@h/db") and is_postgres_url("postgres://h/db")
    assert not is_postgres_url(tmp_path / "c.sqlite3")
    assert open_store(tmp_path / "c.sqlite3").backend == "sqlite"
    if POSTGRES_URL:
        assert open_store(POSTGRES_URL).backend == "postgresql"


