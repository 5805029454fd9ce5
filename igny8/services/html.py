"""Article HTML: sanitising untrusted (AI-written) markup and counting its words."""

from __future__ import annotations

import re
from html import unescape

import nh3

ARTICLE_TAGS = {
    "h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "b", "i", "a", "blockquote", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td", "br", "hr",
}
ARTICLE_ATTRIBUTES = {"a": {"href", "title"}}
_TAG = re.compile(r"<[^>]+>")
_H2 = re.compile(r"<h2[^>]*>(.*?)</h2>", re.I | re.S)


def sanitize_article(html: str) -> str:
    """Keep the article's structure, drop scripts, styles, handlers and unknown tags."""
    return nh3.clean(html, tags=ARTICLE_TAGS, attributes=ARTICLE_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener nofollow")


def plain_text(html: str) -> str:
    """The visible text of some HTML."""
    return " ".join(unescape(_TAG.sub(" ", html)).split())


def word_count(html: str) -> int:
    """Words of the visible text."""
    return len(plain_text(html).split())


def headings(html: str) -> list[str]:
    """The article's H2 headings as text."""
    return [plain_text(h) for h in _H2.findall(html)]
