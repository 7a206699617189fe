"""Keep the translation catalogues (README "Another language").

    python scripts/catalogue.py check [LANG]          untranslated or fuzzy messages (exit 1)
    python scripts/catalogue.py fill LANG FILE...     take translations from JSON files
        ({"msgid": "msgstr"}, or a list of plural forms) or other .po files, for messages
        the catalogue has and has not translated yet
    python scripts/catalogue.py todo LANG             the untranslated msgids as JSON, to fill

Run `make messages` first (extract and update), `make translations` after (compile).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1] / "app" / "translations"


def path_of(lang: str) -> Path:
    return ROOT / lang / "LC_MESSAGES" / "messages.po"


def load(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def save(catalog: Catalog, path: Path) -> None:
    with path.open("wb") as f:
        write_po(f, catalog, width=0, sort_by_file=True)


def missing(catalog: Catalog) -> list[str]:
    found = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        if (
            message.fuzzy
            or not all(strings)
            or len(strings) < (catalog.num_plurals if message.pluralizable else 1)
        ):
            found.append(message.id if isinstance(message.id, str) else message.id[0])
    return found


def translations_in(file: Path) -> dict[str, object]:
    if file.suffix == ".json":
        loaded: dict[str, object] = json.loads(file.read_text())
        return loaded
    found: dict[str, object] = {}
    for message in load(file):
        if message.id and not message.fuzzy:
            key = message.id if isinstance(message.id, str) else message.id[0]
            value = message.string
            if isinstance(value, tuple | list):
                if all(value):
                    found[key] = list(value)
            elif value:
                found[key] = value
    return found


def fill(lang: str, files: list[Path]) -> int:
    catalog = load(path_of(lang), lang)
    known: dict[str, object] = {}
    for file in files:
        for key, value in translations_in(file).items():
            known.setdefault(key, value)
    filled = 0
    todo = set(missing(catalog))
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key not in known or key not in todo:
            continue
        value = known[key]
        if message.pluralizable:
            forms = value if isinstance(value, list) else [value]
            forms = list(forms) + [forms[-1]] * (catalog.num_plurals - len(forms))
            message.string = tuple(forms[: catalog.num_plurals])
        else:
            message.string = value[0] if isinstance(value, list) else str(value)
        message.flags.discard("fuzzy")
        filled += 1
    save(catalog, path_of(lang))
    return filled


def main(argv: list[str]) -> int:
    command, rest = argv[0], argv[1:]
    if command == "check":
        langs = rest or [p.name for p in ROOT.iterdir() if p.is_dir() and p.name != "en"]
        bad = 0
        for lang in langs:
            todo = missing(load(path_of(lang), lang))
            for msgid in todo:
                print(f"{lang}: {msgid!r}")  # noqa: T201
            bad += len(todo)
        print(f"{bad} untranslated or fuzzy")  # noqa: T201
        return 1 if bad else 0
    if command == "fill":
        print(f"filled {fill(rest[0], [Path(f) for f in rest[1:]])}")  # noqa: T201
        return 0
    if command == "todo":
        todo = missing(load(path_of(rest[0]), rest[0]))
        print(json.dumps(dict.fromkeys(todo, ""), ensure_ascii=False, indent=1))  # noqa: T201
        return 0
    print(__doc__)  # noqa: T201
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
