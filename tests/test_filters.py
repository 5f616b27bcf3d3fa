"""Filters → chunk masks (fast tier)."""

from __future__ import annotations

import pytest

from assistant.errors import FilterError
from assistant.records import Filters
from assistant.search.filters import ChunkFilter
from tests.tiny import tiny_index


@pytest.fixture()
def chunk_filter():
    index = tiny_index()
    return ChunkFilter(index.documents, index.chunks)


def test_empty_filters_mask_nothing(chunk_filter):
    assert Filters().is_empty() and not Filters(kind=["law"]).is_empty()
    assert chunk_filter.mask(None) is None and chunk_filter.mask(Filters()) is None
    assert chunk_filter.document_ids(None) == {"profile", "law"}


def test_kind_language_and_document_filters(chunk_filter):
    assert chunk_filter.mask(Filters(kind=["law"])).tolist() == [False, False, True, True]
    assert chunk_filter.mask(Filters(language=["en"])).tolist() == [True, True, False, False]
    assert chunk_filter.document_ids(Filters(document=["law"], kind=["profile"])) == set()


def test_unknown_values_name_what_is_known(chunk_filter):
    with pytest.raises(FilterError, match=r"unknown language filter value\(s\): fr; known: en, es"):
        chunk_filter.mask(Filters(language=["fr"]))
