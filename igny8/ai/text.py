"""Small text helpers for the offline provider: tokenising, stemming, titles and word counts.

Everything here is pure and deterministic so the offline provider gives the same answer for
the same input on every machine.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

__all__ = [
    "STOP_WORDS",
    "cluster_tokens",
    "count_words",
    "normalise",
    "significant_tokens",
    "stem",
    "title_case",
    "truncate_words",
    "words",
]

# A compact English stop list: function words carry no topic, so two keywords that differ only
# in them ("how to install a sump pump" / "install sump pump") should look the same.
STOP_WORDS = frozenset("""
a about above after again against all am an and any are aren as at be because been before being
below between both but by can cannot could couldn did didn do does doesn doing don down during
each few for from further had hadn has hasn have haven having he her here hers herself him himself
his how i if in into is isn it its itself just let ll me more most mustn my myself no nor not now
of off on once only or other ought our ours ourselves out over own re s same shan she should
shouldn so some such t than that the their theirs them themselves then there these they this those
through to too under until up ve very was wasn we were weren what when where which while who whom
why will with won would wouldn you your yours yourself yourselves d m o y
""".split())

# Letters and digits (any script); apostrophes are removed first so "men's" becomes "mens".
WORD_RE = re.compile(r"[^\W_]+")
APOSTROPHES_RE = re.compile(r"['’`´]")
TAG_RE = re.compile(r"<[^>]+>")

# Words that keep their own case in titles (acronyms and brands that readers expect spelled so).
TITLE_KEEP = {
    "ai": "AI", "seo": "SEO", "uk": "UK", "us": "US", "usa": "USA", "diy": "DIY", "faq": "FAQ",
    "faqs": "FAQs", "hp": "HP", "api": "API", "pdf": "PDF", "css": "CSS", "html": "HTML", "ios": "iOS",
    "vs": "vs", "gpm": "GPM", "pvc": "PVC", "tv": "TV", "gb": "GB", "ui": "UI", "ux": "UX",
}
SMALL_TITLE_WORDS = frozenset("a an and as at but by for from in into nor of on or the to vs via with".split())

_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The Snowball English stem of a lowercase ASCII word; other scripts are returned unchanged.

    Stemming Vietnamese or German with the English rules would mangle them, so only words made
    of plain ASCII letters are stemmed.
    """
    if word.isascii() and word.isalpha():
        return _STEMMER.stemWord(word)
    return word


def words(text: str) -> list[str]:
    """Lowercase word tokens of ``text`` with punctuation removed (stop words kept)."""
    return WORD_RE.findall(APOSTROPHES_RE.sub("", text.casefold()))


def normalise(text: str) -> list[str]:
    """Lowercase word tokens of ``text`` with punctuation and stop words removed (not stemmed)."""
    return [w for w in words(text) if w not in STOP_WORDS]


def significant_tokens(text: str) -> list[str]:
    """The stems of ``text``'s non-stop words, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in normalise(text):
        seen.setdefault(stem(word), None)
    return list(seen)


def cluster_tokens(text: str) -> list[str]:
    """The stems clustering compares: ``significant_tokens`` with numbers bound to their neighbours.

    A bare number says little ("3 amp", "3 phase" and "every 3 minutes" share only the 3), but a
    number next to a word does ("1/3 hp", "toán lớp 5"). So a run of numbers becomes the tokens
    "<previous word> <numbers>" and "<numbers> <next word>" instead of standing alone; it stands
    alone only when it has no neighbour. Word order decides which side is meant, so both are kept.
    """
    stems = [stem(w) for w in normalise(text)]
    out: dict[str, None] = {}
    i = 0
    while i < len(stems):
        if not stems[i].isdigit():
            out.setdefault(stems[i], None)
            i += 1
            continue
        j = i
        while j < len(stems) and stems[j].isdigit():
            j += 1
        numbers = " ".join(stems[i:j])
        bound = False
        if i > 0:
            out.setdefault(f"{stems[i - 1]} {numbers}", None)
            bound = True
        if j < len(stems):
            out.setdefault(f"{numbers} {stems[j]}", None)
            bound = True
        if not bound:
            out.setdefault(numbers, None)
        i = j
    return list(out)


def title_case(text: str) -> str:
    """Headline-style capitalisation that keeps acronyms and lowercases short joining words."""
    parts = text.split()
    out = []
    for i, word in enumerate(parts):
        lower = word.lower()
        if lower in TITLE_KEEP:
            out.append(TITLE_KEEP[lower])
        elif word != lower and word != word.capitalize():
            # Mixed case such as "iPhone" or "PostHog" was written that way on purpose.
            out.append(word)
        elif 0 < i < len(parts) - 1 and lower in SMALL_TITLE_WORDS:
            out.append(lower)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


def truncate_words(text: str, limit: int, ellipsis: str = "") -> str:
    """``text`` cut to at most ``limit`` characters on a word boundary (with ``ellipsis`` when cut)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    cut = text[: room + 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    else:
        cut = cut[:room]
    return cut.rstrip(" ,;:-–—") + ellipsis


def count_words(html_or_text: str) -> int:
    """The number of words in a text, tags ignored."""
    return len(TAG_RE.sub(" ", html_or_text).split())
