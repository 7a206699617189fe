"""The Docker files, read as text (no Docker engine or YAML library here): a non-root image
built from the same npm files as the Makefile, migrations only on request, and a compose file
that names every service, needs its secrets from the environment and commits none."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

from app.config import ROOT, Settings

DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
ENTRYPOINT = ROOT / "scripts" / "docker-entrypoint.sh"
VENDOR = "app/static/vendor"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), " ".join(rest.split())))
    return result


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def copies(commands: str) -> set[tuple[tuple[str, ...], str]]:
    """Every `cp SRC… DEST` in a shell command line, as (sources, destination)."""
    found = set()
    for part in re.split(r"&&|;|\n", commands):
        words = shlex.split(part)
        if words and words[0] == "cp":
            found.add((tuple(words[1:-1]), words[-1].rstrip("/")))
    return found


def makefile_vendor_copies() -> set[tuple[tuple[str, ...], str]]:
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = lines.index("$(VENDOR)/.copied: node_modules/.installed")
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().replace("$(VENDOR)", VENDOR))
    return copies("\n".join(recipe))


def parse_yaml(text: str) -> dict[str, Any]:
    """The block-style YAML subset docker-compose.yml uses: mappings, lists, scalars and
    JSON-style flow lists."""
    rows = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            rows.append((len(raw) - len(raw.lstrip(" ")), stripped))

    def scalar(value: str) -> Any:
        if value.startswith(("[", '"')):
            return json.loads(value)
        return value.strip("'")

    def block(i: int, indent: int) -> tuple[Any, int]:
        if rows[i][1].startswith("- "):
            items = []
            while i < len(rows) and rows[i][0] == indent and rows[i][1].startswith("- "):
                items.append(scalar(rows[i][1][2:].strip()))
                i += 1
            return items, i
        mapping: dict[str, Any] = {}
        while i < len(rows) and rows[i][0] == indent:
            key, _, value = rows[i][1].partition(":")
            value = value.strip()
            i += 1
            if value:
                mapping[key] = scalar(value)
            elif i < len(rows) and rows[i][0] > indent:
                mapping[key], i = block(i, rows[i][0])
            else:
                mapping[key] = None
        assert i == len(rows) or rows[i][0] < indent, f"bad indentation near {rows[i][1]!r}"
        return mapping, i

    parsed, end = block(0, 0)
    assert end == len(rows)
    assert isinstance(parsed, dict)
    return parsed


def test_image_runs_as_a_non_root_user() -> None:
    stage = final_stage(instructions(DOCKERFILE))
    assert stage[0] == ("FROM", "python:3.11-slim")
    users = [args for word, args in stage if word == "USER"]
    assert users, "the service stage names no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    # Nothing runs as root after the switch.
    after = stage[[w for w, _ in stage].index("USER") :]
    assert "RUN" not in [w for w, _ in after]


def test_vendor_files_are_the_makefiles() -> None:
    steps = instructions(DOCKERFILE)
    node = steps[: max(i for i, (w, _) in enumerate(steps) if w == "FROM")]
    assert node[0][0] == "FROM" and node[0][1].startswith("node:")
    assert any(w == "RUN" and "npm ci" in a for w, a in node)
    in_image = set().union(*(copies(a) for w, a in node if w == "RUN"))
    expected = makefile_vendor_copies()
    assert expected, "no copies found in the Makefile's vendor target"
    assert in_image == expected
    assert ("COPY", f"--from=assets /build/{VENDOR} ./{VENDOR}") in steps


def test_image_installs_without_dev_extras_and_checks_health() -> None:
    stage = final_stage(instructions(DOCKERFILE))
    runs = " ".join(a for w, a in stage if w == "RUN")
    assert "pip install" in runs
    assert "[dev]" not in runs and "pytest" not in runs
    env = " ".join(a for w, a in stage if w == "ENV")
    assert "TABLECLOTH_MODE=production" in env
    health = [a for w, a in stage if w == "HEALTHCHECK"]
    assert health and "/healthz" in health[0]
    assert ("ENTRYPOINT", '["/srv/tablecloth/scripts/docker-entrypoint.sh"]') in stage
    assert "scripts/docker-entrypoint.sh" in " ".join(a for w, a in stage if w == "COPY")


def test_copied_files_exist_and_are_not_ignored() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for word, args in instructions(DOCKERFILE):
        if word == "COPY" and not args.startswith("--from"):
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source
                assert source.rstrip("/") not in ignored, source


def test_entrypoint_migrates_only_on_request_then_serves() -> None:
    script = ENTRYPOINT.read_text()
    assert script.startswith("#!/bin/sh\n")
    assert os.access(ENTRYPOINT, os.X_OK)
    guard = (
        'if [ "${TABLECLOTH_MIGRATE_ON_START:-false}" = "true" ]; then\n'
        "    python -m app migrate\n"
        "fi"
    )
    assert guard in script
    code = "\n".join(line for line in script.splitlines() if not line.startswith("#"))
    assert code.count("python -m app migrate") == 1
    serve = " ".join(script[script.rindex("exec uvicorn") :].replace("\\\n", " ").split())
    assert serve == (
        "exec uvicorn app.main:create_app --factory --loop app.serving:new_event_loop "
        "--http app.serving:HeaderTimeout --ws app.serving:SpreadPings --timeout-keep-alive 5 "
        "--host 0.0.0.0 --port 8000 "
        '--workers "${TABLECLOTH_WORKERS:-1}" --proxy-headers'
    )


def test_compose_runs_postgres_redis_and_four_workers() -> None:
    compose = parse_yaml(COMPOSE.read_text())
    services = compose["services"]
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    app = services["app"]
    assert app["build"] == "."
    assert set(app["depends_on"]) == {"db", "redis"}
    env = app["environment"]
    assert env["TABLECLOTH_MODE"] == "production"
    assert env["TABLECLOTH_DATABASE_URL"].startswith("postgresql+psycopg://tablecloth:")
    assert env["TABLECLOTH_DATABASE_URL"].endswith("@db:5432/tablecloth")
    assert env["TABLECLOTH_BROADCAST_URL"] == "redis://redis:6379/0"
    assert env["TABLECLOTH_WORKERS"] == "4"
    assert env["TABLECLOTH_SECRET_KEY"].startswith("${TABLECLOTH_SECRET_KEY:?")
    # Every TABLECLOTH_ variable is a real setting (or the entrypoint's own switch).
    known = {f"TABLECLOTH_{name.upper()}" for name in Settings.model_fields}
    assert {k for k in env if k.startswith("TABLECLOTH_")} - known == {
        "TABLECLOTH_MIGRATE_ON_START"
    }


def test_no_secrets_are_committed() -> None:
    compose = parse_yaml(COMPOSE.read_text())
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"SECRET|PASSWORD|TOKEN", key):
                assert re.fullmatch(r"\$\{\w+:\?[^}]*\}", value), f"{name}.{key} is a literal"
    url = compose["services"]["app"]["environment"]["TABLECLOTH_DATABASE_URL"]
    assert ":${POSTGRES_PASSWORD:?" in url
    for path in (DOCKERFILE, ENTRYPOINT, COMPOSE):
        text = path.read_text()
        assert not re.search(r"(?i)(secret_key|password)\s*[=:]\s*['\"]?[\w-]{8,}", text), path
    ignored = (ROOT / ".dockerignore").read_text().split()
    for private in (".git", ".env", "var", ".venv", "node_modules"):
        assert private in ignored
