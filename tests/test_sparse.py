"""SparseIndex over bm25s: scores, masks, idf, coverage, files (fast tier)."""

from __future__ import annotations

import numpy as np

from assistant.search.sparse import SparseIndex
from assistant.text import tokenize

TEXTS = ["community kitchens serve hot meals", "health services for migrants",
         "migrants and shelters", "atención médica de los migrantes"]


def test_scores_rank_the_matching_chunk_first_and_masks_zero_the_rest():
    index = SparseIndex.build([tokenize(t) for t in TEXTS])
    scores = index.scores(tokenize("kitchens meals"))
    assert int(np.argmax(scores)) == 0 and scores[1] == 0
    masked = index.scores(tokenize("migrants"), np.array([False, False, True, False]))
    assert masked[1] == 0 and masked[2] > 0
    assert not index.scores(["unknownword"]).any()


def test_idf_and_coverage():
    index = SparseIndex.build([tokenize(t) for t in TEXTS])
    assert index.knows(tokenize("migrants")[0]) and not index.knows("zebra")
    assert index.idf("zebra") > index.idf(tokenize("kitchens")[0]) > index.idf(tokenize("migrants")[0])
    query = tokenize("hot meals for migrants")
    assert index.coverage(query, set(tokenize(TEXTS[0]))) > index.coverage(query, set(tokenize(TEXTS[2])))
    assert index.coverage([], set()) == 0.0


def test_an_empty_chunk_is_indexed_and_files_round_trip(tmp_path):
    index = SparseIndex.build([tokenize(t) for t in TEXTS] + [[]])
    assert index.num_docs == 5
    index.save(tmp_path / "bm25")
    loaded = SparseIndex.load(tmp_path / "bm25")
    query = tokenize("health services")
    assert np.allclose(loaded.scores(query), index.scores(query))


def test_cognate_coverage_counts_a_word_of_the_other_language():
    index = SparseIndex.build([tokenize(t) for t in TEXTS])
    query, spanish = tokenize("medical attention for migrants"), set(tokenize(TEXTS[3]))
    assert index.coverage(query, spanish) < 0.5  # only "migrant" is the same token
    assert index.coverage(query, spanish, cognates=True) == 1.0  # and the medic·, atenc· keys
    assert index.coverage(tokenize("hot meals"), spanish, cognates=True) == 0.0


def test_together_says_whether_some_chunk_holds_every_token():
    from assistant.search.sparse import SparseIndex

    index = SparseIndex.build([["refugee", "protection"], ["housing", "fund"], ["proteccion", "civil"]])
    assert index.together(["refugee", "protection"])
    assert not index.together(["refugee", "housing"])  # each is used, never in one chunk
    assert index.together(["civil", "protection"])  # the English word meets its Spanish cognate too
    assert index.together(["civil", "protection"], cognates=False) is False
    spanish = SparseIndex.build([["proteccion", "civil"], ["vivienda"]])
    assert spanish.together(["civil", "protection"])  # a word the corpus never uses meets its cognate
    assert spanish.warm_up()["prote"] == ["proteccion"]  # the map, built once (Assistant.warm_up)
    assert not index.together(["nowhere"])
