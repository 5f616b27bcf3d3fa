"""Load.

A bounded load test on loopback: the real `mgi serve --workers 2` over the session's built
index, 8 concurrent clients for 15 s, zero errors allowed. Throughput and latency are
printed (``pytest -s``), never asserted: the machine is shared. The rate-limit tests are in
test_ratelimit.py.
"""

from __future__ import annotations

import sys

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

CLIENTS = 8
SECONDS = 15


def test_concurrent_clients_get_no_errors(built_index_settings):
    from http_load import run_load, serve

    with serve(built_index_settings.index_dir, built_index_settings.documents_dir, workers=2) as (url, _):
        result = run_load(url, clients=CLIENTS, seconds=SECONDS)
    print(f"\nload: {result.summary()}")
    assert result.requests >= CLIENTS, result.summary()
    assert not result.errors, result.errors[:5]
    assert set(result.statuses) == {200}



