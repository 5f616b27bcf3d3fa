"""Names, instruments and jurisdictions the documents never mention (fast tier: the tiny index)."""

from __future__ import annotations

from assistant.answer.unknown import UnknownNames, unknown_words
from tests.tiny import tiny_index


def unknown(question: str, known=frozenset()) -> list[str]:
    index = tiny_index()
    documents = dict(index.documents)
    for name, jurisdiction in (("law", "Mexico (federal)"), ("profile", "Mexico City")):
        document = documents[name]
        documents[name] = document.model_copy(update={"meta": document.meta.model_copy(update={"jurisdiction": jurisdiction})})
    return UnknownNames(index.sparse, documents)(question, known)


def test_capitalised_words_the_corpus_never_uses():
    index = tiny_index()
    assert unknown_words(index.sparse, "Do migrants in Buenos Aires have health services?") == ["Buenos", "Aires"]
    assert unknown_words(index.sparse, "Do migrants in Mexico City have health services?") == []
    assert unknown_words(index.sparse, "Does CONAPRED help migrants?", {"CONAPRED"}) == []
    assert unknown_words(index.sparse, "Is CONAPRED's help for migrants?", {"CONAPRED"}) == []  # possessive


def test_an_instrument_whose_words_never_stand_together_is_unknown():
    # every word is in the corpus, but no passage speaks of community shelters together
    assert unknown("What does the Community Shelters Act say about migrants?") == ["Community Shelters Act"]
    # some passage speaks of atención médica: a law of that name may be what the documents discuss
    assert unknown("¿Qué dice la Ley de Atención Médica sobre los migrantes?", {"Ley"}) == []  # (the tiny corpus never says "Ley")
    # a document's own title (its words are in no passage of the tiny corpus)
    assert unknown("¿Qué dice la Ley de Prueba sobre la atención médica?", {"Ley", "Prueba"}) == []


def test_a_law_of_a_jurisdiction_no_document_covers_is_unknown():
    assert unknown("¿Qué dice la ley migratoria de Guatemala sobre la salud?") == ["Guatemala"]
    assert unknown("What does Guatemala's code say about health care?") == ["Guatemala"]
    assert unknown("What does Guatemala's Migration Code say?") == ["Guatemala's Migration Code"]  # the longer name
    assert unknown("What does the migration law of Mexico say about health?") == []  # the law's jurisdiction
    assert unknown("What does Mexico City's migration law say about health?") == []  # a title word and the jurisdiction


def _vocabulary(*tokens: str):
    from assistant.search.sparse import SparseIndex

    return SparseIndex.build([list(tokens), ["otro"]])


def test_a_word_whose_translation_the_corpus_uses_is_known():
    laws = _vocabulary("senado", "estatuto", "secretaria", "presidencia", "procedur", "federal", "tropa")
    assert unknown_words(laws, "May foreign troops pass if the Senate agrees?") == []  # senate → senado
    assert unknown_words(laws, "Does the old Statute still apply?") == []  # statute → estatuto
    assert unknown_words(laws, "Who appoints a Secretary under the Presidency?") == []
    assert unknown_words(laws, "Which laws follow the Federal Procedure?") == []  # its plural "procedures"
    assert unknown_words(laws, "Does the Senate meet in Guadalajara?") == ["Guadalajara"]
    assert unknown_words(_vocabulary("quedado"), "¿Qué dice el perfil sobre el programa Quédate?") == ["Quédate"]


def test_a_name_glossed_with_known_words_is_known():
    infonavit = _vocabulary("consejo", "administracion", "comision", "vigilancia", "infonavit")
    assert unknown_words(infonavit, "Who presides over INFONAVIT's Board of Directors (Consejo de Administración)?") == []
    assert unknown_words(infonavit, "How is the Oversight Commission (Comisión de Vigilancia) composed?") == []
    assert unknown_words(infonavit, "Who chairs the Oversight Board (Junta Fantasma)?") == ["Oversight", "Board", "Fantasma"]
    assert unknown_words(infonavit, "Does the US-based fund help?", {"US"}) == []  # the known acronym's compound
