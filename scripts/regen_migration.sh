#!/usr/bin/env bash
# Until the first release the schema is one initial revision: regenerate it from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/*_initial_schema.py
TABLECLOTH_DATABASE_URL="sqlite:///$tmp/empty.db" .venv/bin/alembic revision --autogenerate -m "initial schema" --rev-id 0001 >/dev/null
.venv/bin/ruff format -q migrations/versions
.venv/bin/ruff check -q --fix migrations/versions || true
rm -rf "$tmp"
ls migrations/versions
