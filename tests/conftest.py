"""Shared fixtures: a fixed clock, and one database URL per backend for the store suite.

PostgreSQL comes from FOLLOWUP_TEST_DATABASE_URL. Each test gets a schema of its own there,
dropped afterwards, so tests never see each other's rows. Without the variable the
PostgreSQL half is skipped, except in CI, where that is a failure.

It also registers the Hypothesis profile for mutation runs (``--hypothesis-profile=mutation``),
here rather than beside the unit tests because a mutant of the dispatcher runs system tests
alone. Under mutmut every call goes through a trampoline, so examples run several times
slower than usual and the default deadline would fail clean code. Derandomized, each mutant
meets the same examples, so a mutant killed once is killed on every run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, make_url, text

from events.store import database_url

settings.register_profile(
    "mutation",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

NOW = datetime(2019, 1, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="session")
def _cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The run's caches (the place names) in a folder of its own, not the user's home; the
    commands the tests start inherit it."""
    before = os.environ.get("FOLLOWUP_CACHE_DIR")
    os.environ["FOLLOWUP_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        del os.environ["FOLLOWUP_CACHE_DIR"]
    else:
        os.environ["FOLLOWUP_CACHE_DIR"] = before

#: The follow-ups the seed release must hold, in the order `followup list` gives.
SEED_IDS = [
    "kma-visit",
    "working-level-meetings",
    "ministers-at-temm-21",
    "temm-21",
    "ltp-report",
    "jcec-24",
    "fine-dust-expert-group",
    "forecast-exchange-launch",
]


def postgres_url() -> str:
    url = os.environ.get("FOLLOWUP_TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("FOLLOWUP_TEST_DATABASE_URL is not set: CI must test PostgreSQL too")
    pytest.skip("FOLLOWUP_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, empty schema."""
    base = database_url(postgres_url())
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store test runs once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'register.db'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


def sqlite_path(url: str) -> Path:
    return Path(str(make_url(url).database))
