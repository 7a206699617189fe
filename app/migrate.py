"""Run Alembic from code: on start in local mode, from `make migrate`, and in tests."""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from app.config import ROOT


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


@functools.cache
def _head() -> str | None:
    """The newest migration, read from the scripts once a process (they do not change while
    it runs; reading them cost 11 ms at every start, and the tests start the app 2,000 times)."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def is_current(engine: Engine) -> bool:
    head = _head()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head
