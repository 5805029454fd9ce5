"""Responders for the fake OpenAI server that answer the product's four prompts sensibly.

They read the prompt like a model would (the keyword lines, the outline, the target length)
and answer in the requested shape, so the whole pipeline can run through the OpenAI path.
Knobs let a test make one function misbehave (invent keywords, write an empty article...).
"""

from __future__ import annotations

import re

from tests.fakes.openai_server import message_text

_KEYWORD_LINE = re.compile(r"^(.+?) \| (\S+) \| (\S+)$", re.M)
_OUTLINE_LINE = re.compile(r"^\d+\. (.+?) — keywords: (.*?) — about (\d+) words$", re.M)
_TARGET = re.compile(r"about (\d+)\s+words in total")
_PRIMARY = re.compile(r"Primary keyword: (.+)")
_TITLE = re.compile(r'Write the article\s+"(.+?)"\s+as')


class PipelineResponder:
    """Callable responder; set attributes to inject misbehaviour."""

    def __init__(self):
        self.invent_keywords = False
        self.empty_article_for: set[str] = set()  # article titles answered with an empty body
        self.calls: dict[str, int] = {}

    def __call__(self, request: dict):
        text = message_text(request)
        for name, marker, handler in (
            ("clustering", "Group the keywords", self.clusters),
            ("ideas", "article idea(s) for the keyword cluster", self.ideas),
            ("content", "Write the article", self.article),
            ("image_prompts", "image-generation prompts", self.image_prompts),
        ):
            if marker in text:
                self.calls[name] = self.calls.get(name, 0) + 1
                return handler(text)
        if '{"ok": true}' in text:
            return {"ok": True}
        return "I can help with that."

    def clusters(self, text: str) -> dict:
        """Chunks of five consecutive keywords (the last chunk absorbs a short tail)."""
        keywords = [m.group(1) for m in _KEYWORD_LINE.finditer(text.split("Keywords (keyword")[1])]
        chunks = [keywords[i:i + 5] for i in range(0, len(keywords), 5)]
        if len(chunks) > 1 and len(chunks[-1]) < 3:
            tail = chunks.pop()
            chunks[-1] += tail
        clusters = [{"name": c[0], "description": f"Searches about {c[0]}", "keywords": c} for c in chunks]
        if self.invent_keywords and clusters:
            clusters[0]["keywords"] = clusters[0]["keywords"] + ["keyword nobody asked for"]
            clusters.append({"name": "made up", "description": "x", "keywords": ["invented one", "invented two"]})
        return {"clusters": clusters}

    def ideas(self, text: str) -> dict:
        """One idea with an outline covering every keyword."""
        keywords = [m.group(1) for m in _KEYWORD_LINE.finditer(text)]
        sections = [{"heading": f"All about {k}", "keywords": [k], "word_budget": 200} for k in keywords[:6]]
        while len(sections) < 4:
            sections.append({"heading": f"More on {keywords[0]} ({len(sections)})", "keywords": [keywords[0]],
                             "word_budget": 200})
        return {"ideas": [{"title": f"The guide to {keywords[0]}", "description": "A practical guide.",
                           "content_structure": "guide", "primary_keyword": keywords[0],
                           "target_words": 200 * len(sections), "outline": sections}]}

    def article(self, text: str) -> dict:
        """An article following the outline, at its target length."""
        title = _TITLE.search(text).group(1)
        primary = _PRIMARY.search(text).group(1).strip()
        target = int(_TARGET.search(text).group(1))
        sections = _OUTLINE_LINE.findall(text)
        if title in self.empty_article_for:
            body = "<p></p>"
        else:
            per = max(20, target // max(1, len(sections)))
            parts = [f"<p>This article explains {primary} step by step.</p>", "<ul><li>One</li><li>Two</li></ul>"]
            for heading, _keys, _budget in sections:
                parts.append(f"<h2>{heading}</h2><p>{' '.join([primary.split()[0]] * per)}</p>")
            body = "".join(parts)
        return {"title": title, "meta_title": f"{primary} guide"[:60],
                "meta_description": f"Everything about {primary}."[:160], "primary_keyword": primary,
                "secondary_keywords": [], "html": body}

    def image_prompts(self, text: str) -> dict:
        """A featured and two in-article prompts."""
        return {"featured": {"prompt": "A bright photo of a workshop", "alt_text": "A workshop"},
                "in_article": [{"prompt": f"Detail photo {n}", "alt_text": f"Detail {n}"} for n in (1, 2)]}
