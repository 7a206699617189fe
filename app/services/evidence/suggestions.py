"""Suggested themes: unthemed contributions grouped by the salient words they share."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlmodel import Session, col, select

from app.i18n import ngettext
from app.models.cafe import Cafe
from app.models.evidence import Contribution, Theme
from app.services.evidence.filters import NO_THEME, ContributionFilter, visible

SUGGESTION_SAMPLE = 2000  # the most recent unthemed contributions the suggestions look at
MAX_SUGGESTIONS = 8

# Common English words, and words people use in any conversation, that say nothing about
# what a contribution is about.
STOP_WORDS = frozenset(
    """
    a about above after again against all almost also although always am among an and another
    any anyone anything are aren't around as at away back be became because become been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't done down during each either else enough even ever every everyone everything
    few for from further get gets getting go goes going gone good got had hadn't has hasn't have
    haven't having he her here hers herself him himself his how however i i'd i'll i'm i've if
    in into is isn't it it's its itself just keep kind know least less let let's like lot lots
    made make makes many may maybe me might more most much must my myself need never no nor not
    nothing now of off often ok okay on once one only or other others our ours ourselves out
    over own quite rather really said same say says see seem should shouldn't so some someone
    something sometimes still such sure take than that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've thing things think this those
    though through to too under until up upon us use used very want wants was wasn't way we we'd
    we'll we're we've well were weren't what what's when where whether which while who whole
    whom whose why will with within without won't would wouldn't yes yet you you'd you'll you're
    you've your yours yourself yourselves able actually already anyway bit come comes coming
    feel felt give given great new next often put right thank thanks time times try trying
    """.split()
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")


def stem(word: str) -> str:
    """A light English stemmer: enough to put "buses" with "bus" and "changed" with "change".

    Deliberately conservative (short words are left alone) so that "care" and "car" stay
    apart; the suggestions show real words, never stems.
    """
    w = word
    if w.endswith("'s"):
        w = w[:-2]
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("es") and len(w) > 4 and w[:-2].endswith(_SIBILANT_ENDINGS):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] in "bdgmnprt":
                w = w[:-1]  # stopped -> stop, getting -> get
            break
    if w.endswith("ly") and len(w) > 5:
        w = w[:-2]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def salient_words(text: str) -> list[tuple[str, str]]:
    """(stem, word) for each word of a text that could say what it is about."""
    found = []
    for match in _WORD.finditer(text.lower().replace("’", "'")):
        word = match.group(0)
        if len(word) < 3 or word in STOP_WORDS:
            continue
        s = stem(word)
        if len(s) < 3 or s in STOP_WORDS:
            continue
        found.append((s, word.removesuffix("'s")))
    return found


@dataclass
class SharedWord:
    word: str
    count: int  # how many of the suggested contributions use it


@dataclass
class Suggestion:
    """A group of contributions that share salient words, and the words that made it."""

    name: str
    words: list[SharedWord]
    contribution_ids: list[int]
    previews: list[tuple[int, str]] = field(default_factory=list)
    existing_theme_id: int | None = None

    @property
    def explanation(self) -> str:
        lead = self.words[0]
        others = [w.word for w in self.words[1:]]
        count = len(self.contribution_ids)
        listed = ", ".join(f"“{w}”" for w in others)
        if lead.count < count:
            if others:
                return ngettext(
                    "%(num)s contribution uses “%(word)s” or words that come up with it: "
                    "%(others)s.",
                    "%(num)s contributions use “%(word)s” or words that come up with it: "
                    "%(others)s.",
                    count,
                    word=lead.word,
                    others=listed,
                )
            return ngettext(
                "%(num)s contribution uses “%(word)s” or words that come up with it.",
                "%(num)s contributions use “%(word)s” or words that come up with it.",
                count,
                word=lead.word,
            )
        if others:
            return ngettext(
                "%(num)s contribution uses the word “%(word)s”: %(others)s.",
                "%(num)s contributions use the word “%(word)s”: %(others)s.",
                count,
                word=lead.word,
                others=listed,
            )
        return ngettext(
            "%(num)s contribution uses the word “%(word)s”.",
            "%(num)s contributions use the word “%(word)s”.",
            count,
            word=lead.word,
        )


def suggest_groups(
    *,
    texts: Sequence[tuple[int, str]],
    max_suggestions: int = MAX_SUGGESTIONS,
    min_size: int = 2,
) -> list[Suggestion]:
    """Group contributions by the salient words they share (pure: no database).

    1. Each text becomes a set of stemmed words, without stop words.
    2. A word is a candidate if at least ``min_size`` texts use it but it is not so common
       that it says nothing (used by more than 60% of them, once there are ten or more).
    3. Greedily, the candidate that the most still-ungrouped texts use leads a group (ties:
       the rarer word overall, then alphabetical). Words that mostly come up together with
       it (half or more of their uses) pull in their texts too: co-occurrence clustering.
    4. Each group lists the shared words with how many of its texts use each, so the
       facilitator can see why it was suggested.
    """
    docs: dict[int, set[str]] = {}
    surface: dict[str, Counter[str]] = {}
    for cid, text in texts:
        words = salient_words(text)
        if not words:
            continue
        docs[cid] = {s for s, _ in words}
        for s, w in words:
            surface.setdefault(s, Counter())[w] += 1
    n = len(docs)
    if n < min_size:
        return []
    postings: dict[str, set[int]] = {}
    for cid, stems in docs.items():
        for s in stems:
            postings.setdefault(s, set()).add(cid)
    # In a handful of texts a word they all share is still a fair theme; in many, a word
    # most of them use is usually the question's own topic.
    ceiling = n if n < 10 else int(n * 0.6)
    vocab = {s: ids for s, ids in postings.items() if min_size <= len(ids) <= ceiling}

    def shown(s: str) -> str:
        return surface[s].most_common(1)[0][0]

    covered: set[int] = set()
    used_leads: set[str] = set()
    suggestions: list[Suggestion] = []
    while len(suggestions) < max_suggestions:
        candidates = [
            (-len(ids - covered), len(ids), s)
            for s, ids in vocab.items()
            if s not in used_leads and len(ids - covered) >= min_size
        ]
        if not candidates:
            break
        # Most still-ungrouped texts first; then the more specific word; then alphabetical.
        lead = min(candidates)[2]
        used_leads.add(lead)
        group = set(vocab[lead] - covered)
        co = Counter(s for cid in group for s in docs[cid] if s != lead and s in vocab)
        companions = [
            s for s, k in co.items() if k >= min_size and k * 2 >= len(vocab[s]) and s != lead
        ]
        for s in companions:
            group |= vocab[s] - covered
        covered |= group
        tally = Counter(s for cid in group for s in docs[cid] if s in vocab)
        others = sorted(
            (s for s, k in tally.items() if s != lead and k >= min_size and k * 2 >= len(group)),
            key=lambda s: (-tally[s], s),
        )
        shared = [SharedWord(word=shown(s), count=tally[s]) for s in [lead, *others][:6]]
        name = shared[0].word.capitalize()
        if len(shared) > 1 and shared[1].count == len(group):
            name = f"{name} and {shared[1].word}"
        suggestions.append(Suggestion(name=name, words=shared, contribution_ids=sorted(group)))
    return suggestions


def suggest_themes(
    *, session: Session, cafe: Cafe, filters: ContributionFilter, sample: int = SUGGESTION_SAMPLE
) -> list[Suggestion]:
    """Suggested themes among the visible contributions not yet in a theme."""
    unthemed = replace(filters, theme=NO_THEME)
    rows = session.exec(
        select(Contribution.id, Contribution.text)
        .where(*visible(cafe=cafe, filters=unthemed))
        .order_by(col(Contribution.id).desc())
        .limit(sample)
    ).all()
    texts = [(cid, text) for cid, text in rows]
    suggestions = suggest_groups(texts=texts)
    by_id = dict(texts)
    existing = {
        t.name.lower(): t.id for t in session.exec(select(Theme).where(Theme.cafe_id == cafe.id))
    }
    for s in suggestions:
        s.previews = [(cid, by_id[cid]) for cid in s.contribution_ids]
        s.existing_theme_id = existing.get(s.name.lower()) or existing.get(s.words[0].word.lower())
    return suggestions
