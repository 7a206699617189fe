"""Every word shown to people is marked for translation, and the Welsh catalogue is whole:
no message untranslated, none fuzzy, none missing from what the code marks today."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from scripts.catalogue import load, missing, path_of
from tests.house import untranslated

ROOT = Path(__file__).resolve().parents[2]


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)  # type: ignore[no-untyped-call]
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_welsh_catalogue_has_no_untranslated_or_fuzzy_message() -> None:
    todo = missing(load(path_of("cy"), "cy"))
    assert not todo, f"{len(todo)} Welsh messages untranslated or fuzzy: {todo[:10]}"


def test_catalogues_hold_every_marked_message() -> None:
    """`make messages` was run after marking: nothing marked is missing from a catalogue."""
    extracted = _extracted()
    for lang in ("cy", "en"):
        catalog = load(path_of(lang), lang)
        held = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        absent = sorted(extracted - held)
        assert not absent, f"{lang}: {len(absent)} marked but not in the catalogue: {absent[:10]}"


@pytest.mark.parametrize(
    "path",
    untranslated.template_files() + untranslated.python_files(),
    ids=lambda p: str(p.relative_to(untranslated.APP)),
)
def test_nothing_shown_is_left_unmarked(path: Path) -> None:
    found = (
        untranslated.in_template(path) if path.suffix == ".html" else untranslated.in_python(path)
    )
    assert not found, "\n".join(found)
