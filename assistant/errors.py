"""Errors the faces turn into clear 4xx answers (and CLI messages), named for what they are."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0/C1 except tab, LF, CR
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # lone surrogates: JSON "\ud800" escapes, bad argv bytes


class RequestError(ValueError):
    """Something the caller asked for cannot be done as asked; the message says why."""


class QuestionError(RequestError):
    """The question (or its history or k) is not acceptable (HTTP 422)."""


class FilterError(RequestError):
    """A filter names a document, kind or language the index does not hold (HTTP 400)."""


class UnknownRetriever(RequestError):
    """A retriever mode or embedder the index cannot serve (HTTP 400)."""


class OffsetError(RequestError):
    """Character offsets outside a document's stored text (HTTP 422)."""


class DocumentNotFound(LookupError):
    """No document has this id (HTTP 404)."""


def check_question(text: str, max_chars: int, what: str = "question") -> str:
    """``text`` stripped, or QuestionError: empty, NUL, control characters, lone
    surrogates, or longer than ``max_chars``."""
    if not isinstance(text, str) or not text.strip():
        raise QuestionError(f"{what} is empty")
    if "\x00" in text:
        raise QuestionError(f"{what} contains a NUL character")
    bad = _CONTROL.search(text)
    if bad:
        raise QuestionError(f"{what} contains a control character (U+{ord(bad.group()):04X})")
    bad = _SURROGATE.search(text)
    if bad:
        raise QuestionError(f"{what} contains an unpaired surrogate (U+{ord(bad.group()):04X}): not valid UTF-8 text")
    if len(text) > max_chars:
        raise QuestionError(f"{what} is {len(text)} characters; the limit is {max_chars}")
    return text.strip()
