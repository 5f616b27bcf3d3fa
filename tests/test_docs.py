"""Docs that cannot drift: the README's settings and module tables, docs/settings.md (fast tier)."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.settings import Settings, default_text, settings_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    start = text.index(f"## {heading}")
    following = text.find("\n## ", start + 1)
    return text[start: following if following > 0 else len(text)]


def test_readme_settings_table_matches_settings():
    rows = re.findall(r"^\| `MGI_(\w+)` \| (.+?) \|", _section(README, "Settings"), re.M)
    assert len(rows) >= 5
    for name, default in rows:
        field = name.lower()
        assert field in Settings.model_fields, f"README names MGI_{name}, which Settings does not have"
        assert default.strip() == default_text(field), f"MGI_{name}: README says {default}, Settings {default_text(field)}"


def test_docs_settings_is_the_generated_table():
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert settings_markdown() in text, "docs/settings.md is stale: regenerate it with `mgi settings`"


def test_readme_module_table_names_every_module_and_package():
    table = _section(README, "How it works")
    named = set(re.findall(r"`(\w+)/?`", table))
    package = ROOT / "assistant"
    for path in sorted(package.iterdir()):
        if path.name.startswith("_") or path.name == "__pycache__":
            continue
        name = path.stem if path.suffix == ".py" else path.name
        if path.is_dir() or path.suffix == ".py":
            assert name in named, f"README's module table does not name assistant/{path.name}"
    for path in package.glob("*/*.py"):
        if not path.name.startswith("_") and path.parent.name in {"ingest", "search", "answer", "serve"}:
            assert path.stem in named, f"README's module table does not name {path.relative_to(ROOT)}"
