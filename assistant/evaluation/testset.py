"""Test sets: one JSON question per line, loaded and validated with line-precise errors.

Format (see eval/README.md)::

    {"id", "question", "type", "answer", "evidence": [verbatim strings], "section",
     "sources": ["Author | year | title"], "keywords": [...], "previous": [...]?,
     "document"?, "article"?, "page"?}

``document``/``article``/``page`` are either one value for all evidence strings or arrays
aligned with ``evidence``. An empty ``evidence`` list means the corpus does not answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.text import normalise  # the eval's comparison form (re-exported)

KNOWN_TYPES = (
    "factoid", "legal", "numeric", "list", "cross_es_en", "cross_en_es", "multi_law",
    "followup", "unanswerable",
)

_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Word tokens of the normalised text (punctuation dropped)."""
    return _WORD.findall(normalise(text))


class TestSetError(ValueError):
    """A test set that cannot be used; the message names the file (and line)."""

    __test__ = False  # not a pytest test class

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = Path(path)
        self.line = line


@dataclass(frozen=True)
class Evidence:
    """One evidence string with the labels that apply to it (None = not labelled)."""

    text: str
    document: str | None = None
    article: str | None = None
    page: int | None = None
    section: str | None = None


@dataclass
class Question:
    id: str
    question: str
    type: str
    answer: str = ""
    evidence: list[str] = field(default_factory=list)
    section: str = ""
    sources: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    previous: list[str] = field(default_factory=list)
    document: Any = None
    article: Any = None
    page: Any = None
    lang: str = ""  # "en" / "es": the question's language
    answer_type: str = ""  # what it asks for: quantity, date, money, person_org, place, law_article, list, yes_no, description
    answer_span: str | None = None  # the reference figure / date / name, verbatim in an evidence string
    near_miss: bool | None = None  # unanswerable: the subject is in the documents, the asked detail is not
    line: int = 0

    @property
    def answerable(self) -> bool:
        return bool(self.evidence)

    def _aligned(self, value: Any, i: int) -> Any:
        if isinstance(value, list):
            return value[i] if i < len(value) else None
        return value

    def items(self) -> list[Evidence]:
        """Evidence strings with their labels. The question's ``section`` applies to the
        evidence strings without an article label (or to all when none has one)."""
        out = []
        any_article = any(self._aligned(self.article, i) for i in range(len(self.evidence)))
        for i, text in enumerate(self.evidence):
            article = self._aligned(self.article, i)
            section = self.section or None
            if any_article and article:
                section = None
            page = self._aligned(self.page, i)
            out.append(Evidence(text=text, document=self._aligned(self.document, i),
                                article=article, page=int(page) if page is not None else None,
                                section=section))
        return out


def _str_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f'"{name}" must be a list of strings')
    return value


def _label(value: Any, name: str, n: int, kind: type) -> Any:
    """A scalar label or an array aligned with the evidence list (null entries allowed)."""
    if value is None:
        return None
    ok = (lambda v: v is None or (isinstance(v, kind) and not isinstance(v, bool)))
    if isinstance(value, list):
        if len(value) != n:
            raise ValueError(f'"{name}" has {len(value)} entries but "evidence" has {n}')
        if not all(ok(v) for v in value):
            raise ValueError(f'"{name}" entries must be {kind.__name__} or null')
        return value
    if not ok(value):
        raise ValueError(f'"{name}" must be a {kind.__name__}, or an array aligned with "evidence"')
    return value


def parse_question(data: Any, line: int = 0) -> Question:
    """Validate one decoded JSON line; raise ValueError naming the problem."""
    if not isinstance(data, dict):
        raise ValueError("line must be a JSON object")
    for key in ("id", "question", "type"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ValueError(f'"{key}" must be a non-empty string')
    if "evidence" not in data:
        raise ValueError('"evidence" is required (use [] when the corpus does not answer)')
    evidence = _str_list(data["evidence"], "evidence")
    if any(not e.strip() for e in evidence):
        raise ValueError('"evidence" strings must not be empty')
    answer = data.get("answer", "")
    section = data.get("section", "") or ""
    if not isinstance(answer, str) or not isinstance(section, str):
        raise ValueError('"answer" and "section" must be strings')
    n = len(evidence)
    page = data.get("page")
    if isinstance(page, str) and page.isdigit():
        page = int(page)
    if isinstance(page, list):
        page = [int(p) if isinstance(p, str) and p.isdigit() else p for p in page]
    sources = _str_list(data.get("sources"), "sources")
    for source in sources:
        if source.count(" | ") < 2:
            raise ValueError(f'source {source!r} is not in the form "Author | year | title"')
    return Question(
        id=data["id"].strip(), question=data["question"], type=data["type"].strip(),
        answer=answer, evidence=evidence, section=section, sources=sources,
        keywords=_str_list(data.get("keywords"), "keywords"),
        previous=_str_list(data.get("previous"), "previous"),
        document=_label(data.get("document"), "document", n, str),
        article=_label(data.get("article"), "article", n, str),
        page=_label(page, "page", n, int), line=line,
        lang=_optional(data, "lang", str) or "", answer_type=_optional(data, "answer_type", str) or "",
        answer_span=_optional(data, "answer_span", str), near_miss=_optional(data, "near_miss", bool),
    )


ANSWER_TYPES = ("quantity", "date", "money", "person_org", "place", "law_article", "list", "yes_no", "description")


def _optional(data: dict, name: str, kind: type) -> Any:
    value = data.get(name)
    if value is not None and not isinstance(value, kind):
        raise ValueError(f'"{name}" must be a {kind.__name__} or null')
    if name == "answer_type" and value and value not in ANSWER_TYPES:
        raise ValueError(f'"answer_type" must be one of {", ".join(ANSWER_TYPES)}')
    return value


def load_testset(path: Path | str) -> list[Question]:
    """Read and validate a JSONL test set; errors name the file and the line."""
    path = Path(path)
    if not path.is_file():
        raise TestSetError(path, "test set file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TestSetError(path, f"cannot read: {error}") from error
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("//"):
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            raise TestSetError(path, f"invalid JSON: {error.msg} (column {error.colno})", number) from None
        try:
            question = parse_question(data, number)
        except ValueError as error:
            raise TestSetError(path, str(error), number) from None
        if question.id in seen:
            raise TestSetError(path, f'duplicate id "{question.id}" (first on line {seen[question.id]})', number)
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise TestSetError(path, "no questions in file")
    return questions


def select(questions: list[Question], types: list[str] | None = None, limit: int | None = None) -> list[Question]:
    """Questions of the given types (all when None), at most ``limit`` of them."""
    chosen = [q for q in questions if not types or q.type in types]
    return chosen[:limit] if limit is not None and limit >= 0 else chosen
