"""What the retrievers see (Query) and what they return (Hit); follow-up contextualisation."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from assistant.records import Turn
from assistant.text import question_language, tokenize

# What a law's transitory articles say: when it takes effect, what it repeals, the deadlines
# for its regulations and for adapting to it.
TRANSITIONAL = re.compile(r"\b(?:vigor|vigencia|(?:in|into) force|(?:took|tak\w+|come|came|coming) effect|effective|"
                          r"repeal\w*|abrog\w*|derog\w*|transitori\w*|transitional|reglamento|regulations?|"
                          r"decrees?|decretos?|phased?|gradual\w*|(?:start|begin)s? to apply)\b",
                          re.IGNORECASE)


@dataclass
class Hit:
    """One ranked chunk with the evidence behind its rank."""

    position: int  # the chunk's position in LoadedIndex.chunks
    score: float  # the score the current order is sorted by (fused, single or reranked)
    bm25: float = 0.0
    dense: float = 0.0
    dense_z: float = 0.0


@dataclass
class Query:
    """The question as asked, its BM25 tokens and the text to embed."""

    text: str
    tokens: list[str]
    dense_text: str
    expanded: dict[str, str] = field(default_factory=dict)  # acronym → the corpus name it shortens

    @functools.cached_property
    def language(self) -> str:
        """"en" or "es": the language the question is asked in."""
        return question_language(self.text)

    @functools.cached_property
    def asks_transition(self) -> bool:
        """Whether the question asks what a law's transitory articles say (when it took effect,
        what it repealed, the deadline for its regulations)."""
        return bool(TRANSITIONAL.search(self.text))

    @property
    def naming_text(self) -> str:
        """Where documents are looked for by name: the question and its acronyms' names."""
        return " ".join([self.text, *self.expanded.values()])

    @property
    def own_tokens(self) -> list[str]:
        """The question's own words (a follow-up's, without the previous question's), with the
        names its acronyms shorten."""
        return (tokenize(self.text) + [t for name in self.expanded.values() for t in tokenize(name)]) or self.tokens


def contextualise(question: str, history: list[Turn], min_words: int = 5) -> Query:
    """Fold the previous question into a short follow-up ("And for education?").

    The follow-up's own terms count double in BM25; the previous question's terms are
    added once, and the dense query reads "<previous question> <follow-up>". A question
    with ``min_words`` or more content words of its own stands alone.
    """
    tokens = tokenize(question)
    if not history or len(tokens) >= min_words:
        return Query(question, tokens, question)
    previous = history[-1].question
    return Query(question, tokens * 2 + tokenize(previous), f"{previous} {question}")
