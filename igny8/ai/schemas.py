"""JSON schemas of the AI answers (strict structured outputs) and their validators.

The schemas follow the strict-mode rules (every property required, no additional
properties) so OpenAI can enforce them; the ``check_*`` functions validate the answer again
as untrusted input, whatever the server claims to support, and add the rules a schema cannot
express (an article far below its target, an idea without sections...).
"""

from __future__ import annotations

from jsonschema import Draft202012Validator

from igny8.services.html import sanitize_article, word_count


def _obj(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


STR = {"type": "string"}
STRS = {"type": "array", "items": STR}
STRUCTURES = ["guide", "how_to", "listicle", "comparison", "faq", "review"]

CLUSTERS = _obj({"clusters": {"type": "array", "items": _obj({"name": STR, "description": STR, "keywords": STRS})}})
SECTION = _obj({"heading": STR, "keywords": STRS, "word_budget": {"type": "integer"}})
IDEAS = _obj({"ideas": {"type": "array", "items": _obj({
    "title": STR, "description": STR, "content_structure": {"type": "string", "enum": STRUCTURES},
    "primary_keyword": STR, "target_words": {"type": "integer"}, "outline": {"type": "array", "items": SECTION},
})}})
ARTICLE = _obj({"title": STR, "meta_title": STR, "meta_description": STR, "primary_keyword": STR,
                "secondary_keywords": STRS, "html": STR})
PROMPT = _obj({"prompt": STR, "alt_text": STR})
IMAGE_PROMPTS = _obj({"featured": PROMPT, "in_article": {"type": "array", "items": PROMPT}})

# An article below this share of its target is "far below" it.
MIN_TARGET_SHARE = 0.6


class Invalid(ValueError):
    """The answer breaks a rule; the message is fed back to the model on the retry."""


def _validate(schema: dict, data) -> None:
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "the top level"
        raise Invalid(f"at {where}: {first.message}")


def check_clusters(data) -> dict:
    """The clusters shape (membership is checked against the batch by the engine)."""
    _validate(CLUSTERS, data)
    return data


def check_ideas(data) -> dict:
    """At least one idea; each with a title and sections that have headings."""
    _validate(IDEAS, data)
    if not data["ideas"]:
        raise Invalid("no ideas were given")
    for n, idea in enumerate(data["ideas"]):
        if not idea["title"].strip():
            raise Invalid(f"idea {n} has no title")
        if not [s for s in idea["outline"] if s["heading"].strip()]:
            raise Invalid(f"idea {n} has no outline sections")
        if any(s["word_budget"] <= 0 for s in idea["outline"]):
            raise Invalid(f"idea {n} has a section with no word budget")
    return data


def check_article(data, target_words: int) -> dict:
    """Meta fields present, HTML sanitised, length not far below the target."""
    _validate(ARTICLE, data)
    for name in ("title", "meta_title", "meta_description", "html"):
        if not data[name].strip():
            raise Invalid(f"{name} is empty")
    data["html"] = sanitize_article(data["html"])
    words = word_count(data["html"])
    if words < target_words * MIN_TARGET_SHARE:
        raise Invalid(f"the article has {words} words; it must be about {target_words}")
    if len(data["meta_title"]) > 70:
        data["meta_title"] = data["meta_title"][:60].rsplit(" ", 1)[0]
    if len(data["meta_description"]) > 170:
        data["meta_description"] = data["meta_description"][:160].rsplit(" ", 1)[0]
    return data


def check_image_prompts(data) -> dict:
    """A non-empty featured prompt."""
    _validate(IMAGE_PROMPTS, data)
    if not data["featured"]["prompt"].strip():
        raise Invalid("the featured prompt is empty")
    return data
