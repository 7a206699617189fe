"""Find words shown to people that do not go through gettext (tests/house/test_translations.py,
and `python -m tests.house.untranslated [PATH...]` to list them while marking).

Templates: the Jinja lexer's own tokens. Text between tags and the text-bearing attributes
(aria-label, title, placeholder, alt, a button's value) must have no words outside
`{{ _(…) }}` / `{% trans %}`; a string literal inside an expression that reads as prose must
be an argument of `_`, `ngettext`, `pgettext` or `both`.

Python: a string constant that reads as prose (a capital, then small letters, then a space)
must be an argument of `_`, `N_`, `ngettext`, `pgettext` or `in_language`, except docstrings,
OpenAPI descriptions, log lines, errors meant for developers and lines ending with
`# not shown to people` or `# stored as written` (an audit record's details).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

APP = Path(__file__).resolve().parents[2] / "app"
TEMPLATES = APP / "templates"

# Names that stay as they are in every language: the product, the languages by their own
# names, file formats and the like.
KEEP = {
    "Tablecloth",
    "Cymraeg",
    "English",
    "QR",
    "CSV",
    "DOCX",
    "JSON",
    "PDF",
    "API",
    "HTML",
    "ZIP",
    "M3U",
    "iCalendar",
    "ICS",
    "Markdown",
    "Ketso",
    "IMPACT",
    "CY",
    "EN",
    "OK",
}
WORD = re.compile(r"[^\W\d_]{2,}")
PROSE = re.compile(r"^\W*[A-Z][a-z’']*[\s,]+[a-z]")
FSTRING_WORDS = re.compile(r"[^\W\d_]{2,} [^\W\d_]{2,}")
# Not words for people: SQL, markup, addresses.
MACHINE = re.compile(r"PRAGMA|SET LOCAL|SELECT |<[a-z!/]|://")
# A line that ends with one of these holds words that are never shown, or a record kept as
# written in the language of the moment (an audit trail's details, like people's own words).
KEPT_AS_WRITTEN = ("# not shown to people", "# stored as written")
MARKERS = {"_", "N_", "gettext", "ngettext", "pgettext", "in_language", "both"}
TEXT_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "aria-description"}
# Python calls whose strings are for developers or machines, not people.
NOT_SHOWN_CALLS = {
    "debug",
    "info",
    "warning",
    "error",
    "exception",
    "critical",
    "log",  # logging
    "RuntimeError",
    "AssertionError",
    "TypeError",
    "KeyError",
    "NotImplementedError",
    "text",
    "print",
    "Query",
    "Path",
    "getLogger",
    "deprecated",
}
NOT_SHOWN_KEYWORDS = {"description", "summary", "help", "deprecated", "response_description"}


def _words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w not in KEEP]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            shown = name in TEXT_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in {"submit", "button"}
            )
            if shown and value and _words(value):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and _words(data):
            self.found.append(data.strip())


def _lexed(env: Environment, source: str) -> Iterator[tuple[int, str, str]]:
    return env.lex(source)


def in_template(path: Path) -> list[str]:
    """What `path` shows that is not marked, as short snippets with line numbers."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    source = path.read_text()
    problems: list[str] = []
    text: list[str] = []
    in_trans = 0
    block: list[tuple[str, str]] = []
    previous: list[tuple[str, str]] = []
    for line, kind, value in _lexed(env, source):
        if kind in {"block_begin", "variable_begin"}:
            block = []
            continue
        if kind in {"block_end", "variable_end"}:
            names = [v for k, v in block if k == "name"]
            if names[:1] == ["trans"]:
                in_trans += 1
            elif names[:1] == ["endtrans"]:
                in_trans -= 1
            if kind == "variable_end" and not in_trans:
                text.append("\x00")
            block = []
            continue
        if kind == "data":
            if not in_trans:
                text.append(value)
            continue
        if kind == "string":
            marked = (
                len(previous) >= 2
                and previous[-1] == ("operator", "(")
                and previous[-2][0] == "name"
                and previous[-2][1] in MARKERS
            ) or any(k == "name" and v in MARKERS for k, v in block[-6:])
            if not marked and PROSE.match(value) and not in_trans:
                problems.append(f"{path.name}:{line}: string {value!r}")
        block.append((kind, value))
        previous = block
    parser = _Text()
    parser.feed("".join(text))
    parser.close()
    problems += [f"{path.name}: text {snippet[:70]!r}" for snippet in parser.found]
    return problems


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def in_python(path: Path) -> list[str]:
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    parents = _parents(tree)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    in_fstring = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
        if isinstance(part, ast.Constant)
    }
    problems = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if id(node) in docstrings:
            continue
        # A sentence, or words between an f-string's variables ("” is not a café code").
        words = PROSE.match(node.value) or (
            id(node) in in_fstring
            and FSTRING_WORDS.search(node.value)
            and not MACHINE.search(node.value)
        )
        if not words:
            continue
        if lines[node.lineno - 1].rstrip().endswith(KEPT_AS_WRITTEN):
            continue
        if _shown(node, parents):
            problems.append(f"{path.relative_to(APP.parent)}:{node.lineno}: {node.value[:70]!r}")
    return problems


def _shown(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """False when the string is marked, or sits where nobody reads it."""
    child, parent = node, parents.get(node)
    if isinstance(parent, ast.Expr):
        return False  # a bare string: a comment for readers of the code (a field's doc)
    if isinstance(parent, ast.Dict):
        keys = {id(v): k for k, v in zip(parent.keys, parent.values, strict=True)}
        key = keys.get(id(node))
        if isinstance(key, ast.Constant) and key.value in NOT_SHOWN_KEYWORDS:
            return False  # OpenAPI: {"description": …}
    while parent is not None:
        if isinstance(parent, ast.keyword) and parent.arg in NOT_SHOWN_KEYWORDS:
            return False
        if isinstance(parent, ast.Call):
            name = _call_name(parent)
            if name in MARKERS or name in NOT_SHOWN_CALLS:
                return False
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return True
        child, parent = parent, parents.get(parent)
    del child
    return True


def python_files() -> list[Path]:
    skip = {"migrate.py", "__main__.py"}
    return sorted(
        p for p in APP.rglob("*.py") if p.name not in skip and "translations" not in p.parts
    )


def template_files() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def main(argv: list[str]) -> int:
    wanted = [Path(a).resolve() for a in argv]
    count = 0
    for path in template_files() + python_files():
        if wanted and not any(path == w or w in path.parents for w in wanted):
            continue
        found = in_template(path) if path.suffix == ".html" else in_python(path)
        for problem in found:
            print(f"{path.relative_to(APP.parent)}  {problem}")  # noqa: T201
        count += len(found)
    print(f"{count} unmarked")  # noqa: T201
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
