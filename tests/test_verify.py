"""The verify stage refuses any quote that is not the stored text at its offsets (fast tier)."""

from __future__ import annotations

import pytest

from assistant.answer.verify import StoredTextVerifier, UnverifiedQuote, unverified_quotes
from tests.tiny import tiny_assistant


def test_verbatim_quotes_pass_and_an_altered_one_is_refused():
    assistant = tiny_assistant()
    citations = assistant.ask("Do migrants have access to health services?").citations
    assert citations and unverified_quotes(citations, assistant.documents) == []
    altered = citations[0].model_copy(update={"quote": citations[0].quote.replace("health", "wealth")})
    shifted = citations[0].model_copy(update={"n": 9, "start": citations[0].start + 1})
    assert unverified_quotes([altered, shifted], assistant.documents) == [altered.n, 9]
    with pytest.raises(UnverifiedQuote, match="not verbatim"):
        StoredTextVerifier(assistant.documents).verify([altered])
