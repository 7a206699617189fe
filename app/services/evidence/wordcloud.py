"""A word cloud of a café's cards, drawn as SVG on the server (no script, no third party).

Words are counted from the cards' text, lower-cased, without English stop-words
(`stopwords.ENGLISH`), numbers, or words shorter than three letters; words in `hidden` (the
names of the café's people, when the café hides names) are left out. The layout is
deterministic: the most frequent word in the middle, the others placed along a spiral at the
first spot where they overlap nothing, larger for more frequent words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from app.i18n import _
from app.services.evidence.stopwords import ENGLISH

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
MIN_LETTERS = 3
MAX_WORDS = 40
WIDTH, HEIGHT = 960, 420
MIN_SIZE, MAX_SIZE = 18, 64
# A few strong colours that keep 4.5:1 contrast on white (WCAG AA for normal text).
COLOURS = ("#1d4e89", "#7a2048", "#1b5e20", "#5d3a00", "#4a148c", "#004d40")


def words_of(texts: Iterable[str], *, hidden: Iterable[str] = ()) -> list[tuple[str, int]]:
    """The most frequent words (at most `MAX_WORDS`), most frequent first, ties by word."""
    skip = set(ENGLISH) | {w.lower() for w in hidden}
    counts: Counter[str] = Counter()
    for text in texts:
        for word in WORD.findall(text.lower()):
            word = word.replace("’", "'")
            if len(word) >= MIN_LETTERS and word not in skip:
                counts[word] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_WORDS]


def name_words(names: Iterable[str]) -> set[str]:
    """The words of people's names, to leave out of the cloud when a café hides names."""
    return {w for name in names for w in WORD.findall(name.lower())}


@dataclass(frozen=True)
class Placed:
    word: str
    count: int
    x: float
    y: float
    size: int
    colour: str


def layout(words: list[tuple[str, int]]) -> list[Placed]:
    """Where each word goes (its centre), most frequent first; a word with no room is left
    out rather than drawn over another."""
    if not words:
        return []
    top = words[0][1]
    low = words[-1][1]
    boxes: list[tuple[float, float, float, float]] = []
    placed: list[Placed] = []
    for i, (word, count) in enumerate(words):
        share = (count - low) / (top - low) if top > low else 1.0
        size = round(MIN_SIZE + (MAX_SIZE - MIN_SIZE) * math.sqrt(share))
        w, h = 0.6 * size * len(word) + 8, 1.15 * size
        for step in range(1500):
            angle = 0.35 * step
            radius = 2.2 * angle
            x = WIDTH / 2 + radius * math.cos(angle) * 1.8
            y = HEIGHT / 2 + radius * math.sin(angle)
            box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            if box[0] < 0 or box[1] < 0 or box[2] > WIDTH or box[3] > HEIGHT:
                continue
            if any(_overlap(box, other) for other in boxes):
                continue
            boxes.append(box)
            placed.append(Placed(word, count, x, y, size, COLOURS[i % len(COLOURS)]))
            break
    return placed


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def svg(words: list[tuple[str, int]], *, title: str | None = None) -> str:
    """The cloud as an inline SVG image, with a title and a description that lists the words
    and their counts for screen readers."""
    placed = layout(words)
    title = title or _("Words heard most often")
    said = ", ".join(f"{p.word} ({p.count})" for p in placed) or _("no words yet")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="word-cloud" '  # not shown to people
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="cloud-title cloud-desc">',
        f'<title id="cloud-title">{escape(title)}</title>',
        f'<desc id="cloud-desc">{escape(said)}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for p in placed:
        parts.append(
            f'<text x="{p.x:.1f}" y="{p.y:.1f}" font-size="{p.size}" fill="{p.colour}" '
            f'text-anchor="middle" dominant-baseline="central" font-weight="600" '
            f'data-count="{p.count}">{escape(p.word)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
