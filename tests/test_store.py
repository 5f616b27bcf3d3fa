"""The app's conversation store (serve/store.py): which database the settings name."""

from __future__ import annotations

from assistant.serve.store import database_target, store_of_app

from .fakes import fake_app


def test_database_setting_accepts_a_url():
    """MGI_DATABASE=postgresql://… reaches the store intact (a Path would mangle '//')."""
    from assistant.serve.store import database_target
    from assistant.settings import Settings

    settings = Settings(database_url="postgresql://mgi:pw@db.internal:5432/mgi")
    assert database_target(settings) == "postgresql://mgi:pw@db.internal:5432/mgi"
    assert database_target(Settings(database="/tmp/x.sqlite3")).__str__() == "/tmp/x.sqlite3"


def test_the_store_of_an_app_is_its_settings_database(tmp_path):
    app, settings, _ = fake_app(tmp_path)
    store = store_of_app(app)
    assert store.backend == "sqlite" and store.where == str(settings.database.resolve())
    assert store_of_app(app) is store  # one store per database and process


def test_a_url_that_went_through_a_path_is_repaired():
    from pathlib import Path

    from assistant.settings import Settings

    mangled = Settings(database=Path("postgresql://mgi:pw@db.internal/mgi"))
    assert database_target(mangled) == "postgresql://mgi:pw@db.internal/mgi"
