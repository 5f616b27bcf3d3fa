"""Question validation and the named request errors (fast tier)."""

from __future__ import annotations

import pytest

from assistant.errors import (
    DocumentNotFound,
    FilterError,
    OffsetError,
    QuestionError,
    RequestError,
    UnknownRetriever,
    check_question,
)


@pytest.mark.parametrize(("text", "message"), [
    ("   ", "is empty"), ("a\x00b", "NUL"), ("a\x07b", r"U\+0007"), ("a\ud800b", "unpaired surrogate"),
    ("x" * 11, "11 characters; the limit is 10"),
])
def test_bad_questions_are_refused_with_the_reason(text, message):
    with pytest.raises(QuestionError, match=message):
        check_question(text, 10)


def test_good_questions_are_stripped_and_tabs_newlines_allowed():
    assert check_question("  ¿Qué\tleyes\n?  ", 50) == "¿Qué\tleyes\n?"
    with pytest.raises(QuestionError, match="history turn 2 question is empty"):
        check_question("", 10, "history turn 2 question")


def test_every_request_error_is_one_family_and_not_found_is_apart():
    for error in (QuestionError, FilterError, UnknownRetriever, OffsetError):
        assert issubclass(error, RequestError)
    assert not issubclass(DocumentNotFound, (RequestError, KeyError))
