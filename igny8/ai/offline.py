"""The offline AI provider: deterministic, network-free stand-ins for every pipeline AI call.

Used when no OpenAI key is configured. It does real work rather than returning placeholders:

* ``cluster_keywords`` groups keywords lexically (stop words dropped, Snowball stems, a term
  tree over shared stems, see ``cluster_items``);
* ``generate_ideas`` plans one or two articles per cluster with a structure picked from the
  keywords' wording and intent and an outline that covers every keyword;
* ``generate_content`` writes the outline out as HTML from sentence banks that vary by keyword
  and section;
* ``generate_image_prompts`` / ``generate_image`` describe and draw (with Pillow) illustrations.

Same input, same output: every choice is driven by the input text, through ``hashlib`` (never
the per-process salted ``hash()``) where a pseudo-random pick is needed.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from igny8.ai.base import (
    AIError,
    AIUsage,
    ArticleOut,
    ArticleResult,
    ClusterInfo,
    ClusterOut,
    ClusterResult,
    ContentInfo,
    IdeaOut,
    IdeasResult,
    ImageOut,
    ImagePromptOut,
    ImagePromptsResult,
    ImageResult,
    KeywordInfo,
    OutlineSection,
    SiteInfo,
    TaskInfo,
)
from igny8.ai.offline_images import draw_illustration, parse_size
from igny8.ai.text import cluster_tokens, count_words, title_case, truncate_words, words

__all__ = ["OfflineProvider", "cluster_items", "rank_structures", "target_words"]

PROVIDER = "offline"
MODEL_CLUSTER = "offline-lexical-cluster-v1"
MODEL_IDEAS = "offline-outline-v1"
MODEL_WRITER = "offline-writer-v1"
MODEL_PROMPTS = "offline-image-prompts-v1"
MODEL_IMAGE = "offline-pillow-v1"

MIN_CLUSTER = 3
MAX_CLUSTER = 10
# A stem in this share of the batch (and in at least BACKGROUND_MIN keywords) names the niche
# itself ("sump", "pump" in a sump pump export): sharing it says nothing about topic.
BACKGROUND_SHARE = 0.3
BACKGROUND_MIN = 10
# Intent and shopping modifiers: "wayne sump pump reviews" is about Wayne pumps before it is
# about reviews, so these stems only lead a branch when no topical stem is shared widely enough.
FACET_STEMS = frozenset(
    "best top review cheap cheapest price cost buy sale near vs versus compar guid free onlin new "
    "use rate list deal discount coupon shop store uk us usa 2020 2021 2022 2023 2024 2025 2026".split()
)


def _digest(*parts: object) -> int:
    """A stable 64-bit number for ``parts`` (the same on every run and machine)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def _usage(model: str, started: float) -> AIUsage:
    """The usage record of an offline call that began at ``started`` (``perf_counter``)."""
    return AIUsage(provider=PROVIDER, model=model, latency_ms=int((time.perf_counter() - started) * 1000))


# ---------------------------------------------------------------------------------------------------
# Clustering


@dataclass(frozen=True)
class _Item:
    """A keyword prepared for clustering."""

    text: str
    volume: int
    sig: frozenset[str]
    rank: tuple[int, int, str]


def _rank(text: str, volume: int | None) -> tuple[int, int, str]:
    """Sort key: highest volume first, then shortest, then alphabetical."""
    return (-(volume or 0), len(text), text)


class _Tree:
    """One clustering pass: the term tree over a batch's stem sets.

    Each node holds the keywords sharing the node's stem set ``P``. A keyword that has more stems
    goes down to the child for its best remaining stem (background stems first, then the topical
    stem most keywords of the node share, then modifiers, then rare stems), so keywords meet at
    the deepest node whose stems they all have. Clusters are then built bottom-up: a node whose
    stems include a topical one turns the keywords its children could not place into clusters.
    """

    def __init__(self, items: list[_Item]):
        """Count stems over the batch and find the background (niche) stems."""
        self.df = Counter(t for item in items for t in item.sig)
        floor = max(BACKGROUND_MIN, BACKGROUND_SHARE * len(items))
        self.background = frozenset(t for t, c in self.df.items() if c >= floor)

    def _branch_key(self, token: str, count: int) -> tuple[int, int, str]:
        """Sort key of a stem as a keyword's next branch: the smallest key wins, the stem breaks ties."""
        if token in self.background:
            tier = 3
        elif count < MIN_CLUSTER:
            tier = 0
        elif token in FACET_STEMS or token.isdigit():
            tier = 1
        else:
            tier = 2
        # min() of the negated key keeps the alphabetical tie-break stable.
        return (-tier, -count, token)

    def run(self, items: list[_Item]) -> list[list[_Item]]:
        """The clusters of ``items`` (keywords in no cluster are dropped)."""
        clusters, _ = self._node(frozenset(), items)
        return clusters

    def _node(self, shared: frozenset[str], members: list[_Item]) -> tuple[list[list[_Item]], list[_Item]]:
        """Clusters built in this subtree and the keywords it hands back to its parent."""
        exact = [m for m in members if m.sig <= shared]
        rest = [m for m in members if not m.sig <= shared]
        counts = Counter(t for m in rest for t in m.sig - shared)
        children: dict[str, list[_Item]] = defaultdict(list)
        for m in rest:
            token = min(m.sig - shared, key=lambda t: self._branch_key(t, counts[t]))
            children[token].append(m)

        clusters: list[list[_Item]] = []
        handed_up: list[_Item] = []
        for token in sorted(children):
            sub_clusters, sub_left = self._node(shared | {token}, children[token])
            clusters += sub_clusters
            handed_up += sub_left

        # Numbers alone ("3 amp", "3 phase", "every 3 minutes") do not make a topic.
        topical = any(t not in self.background and not t.isdigit() for t in shared)
        if topical:
            pool, passed = exact + handed_up, []
        else:
            # Below a niche-only node the leftovers share nothing but the niche: not a topic.
            pool, passed = exact, handed_up
        if len(pool) >= MIN_CLUSTER:
            packed, spare = _pack(pool)
            clusters += packed
            pool = spare
        if topical:
            pool = _attach(pool, clusters, shared)
        return clusters, pool + passed


def _attach(items: list[_Item], clusters: list[list[_Item]], shared: frozenset[str]) -> list[_Item]:
    """Put each of ``items`` into the closest cluster of its subtree that has room; return the rest.

    Only done for keywords that carry the subtree's shared stems, so they fit every cluster below.
    """
    if not shared:
        return list(items)
    left = []
    for item in items:
        best = None
        best_key = None
        for index, cluster in enumerate(clusters):
            if len(cluster) >= MAX_CLUSTER:
                continue
            overlap = len(item.sig & frozenset.intersection(*(m.sig for m in cluster)))
            key = (overlap, len(cluster), -index)
            if best_key is None or key > best_key:
                best, best_key = cluster, key
        if best is None:
            left.append(item)
        else:
            best.append(item)
    return left


def _pack(pool: list[_Item]) -> tuple[list[list[_Item]], list[_Item]]:
    """Split a pool of related keywords into clusters of MIN..MAX, keeping identical stem sets together.

    Returns the clusters and any keywords that could not make a cluster of MIN_CLUSTER.
    """
    groups: dict[tuple[str, ...], list[_Item]] = defaultdict(list)
    for item in pool:
        groups[tuple(sorted(item.sig))].append(item)
    units: list[list[_Item]] = []
    # Order groups so neighbours share stems: by stem tuple, which sorts "batteri backup ..." together.
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda m: m.rank)
        pieces = math.ceil(len(group) / MAX_CLUSTER)
        size = math.ceil(len(group) / pieces)
        units += [group[i:i + size] for i in range(0, len(group), size)]

    total = len(pool)
    target = math.ceil(total / math.ceil(total / MAX_CLUSTER))
    chunks: list[list[_Item]] = []
    current: list[_Item] = []
    for unit in units:
        if current and (len(current) + len(unit) > MAX_CLUSTER or len(current) >= target):
            chunks.append(current)
            current = []
        current = current + unit
    if current:
        chunks.append(current)

    full = [c for c in chunks if len(c) >= MIN_CLUSTER]
    spare = [m for c in chunks if len(c) < MIN_CLUSTER for m in c]
    left = []
    for item in spare:
        room = [c for c in full if len(c) < MAX_CLUSTER]
        if room:
            min(room, key=len).append(item)
        else:
            left.append(item)
    return full, left


def _sweep(items: list[_Item], clusters: list[list[_Item]]) -> list[list[_Item]]:
    """Place what the term tree left out, so a batch leaves little pending.

    Leftovers are grouped by shared stems (connected components): a group of three or more is
    packed into clusters in stem order; a smaller group joins the cluster with room it shares
    the most stems with. A leftover sharing no stem with anything stays out. Returns the new
    clusters; ``clusters`` may be extended in place.
    """
    placed = {id(m) for c in clusters for m in c}
    left = [m for m in items if id(m) not in placed]
    parent = list(range(len(left)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[str, int] = {}
    for index, item in enumerate(left):
        for stem in item.sig:
            if stem in first_with:
                parent[root(index)] = root(first_with[stem])
            else:
                first_with[stem] = index
    components: dict[int, list[_Item]] = defaultdict(list)
    for index, item in enumerate(left):
        components[root(index)].append(item)
    packed: list[list[_Item]] = []
    spare: list[_Item] = []
    for group in components.values():
        if len(group) >= MIN_CLUSTER:
            full, rest = _pack(group)
            packed += full
            spare += rest
        else:
            spare += group
    for item in spare:
        best, best_key = None, (0,)
        for index, cluster in enumerate(clusters + packed):
            if len(cluster) < MAX_CLUSTER:
                key = (max(len(item.sig & m.sig) for m in cluster), -len(cluster), -index)
                if key > best_key:
                    best, best_key = cluster, key
        if best is not None:
            best.append(item)
    return packed


def cluster_items(keywords: Iterable[tuple[str, int | None]]) -> list[list[str]]:
    """Lexical clusters of ``(text, volume)`` pairs: lists of 3-10 texts, highest volume first.

    Duplicate texts count once and texts with no significant word are never clustered.
    """
    seen: set[str] = set()
    items: list[_Item] = []
    for text, volume in keywords:
        if text in seen:
            continue
        seen.add(text)
        sig = frozenset(cluster_tokens(text))
        if sig:
            items.append(_Item(text, volume or 0, sig, _rank(text, volume)))
    if len(items) < MIN_CLUSTER:
        return []
    clusters = _Tree(items).run(items)
    clusters += _sweep(items, clusters)
    ordered = [sorted(c, key=lambda m: m.rank) for c in clusters]
    ordered.sort(key=lambda c: (-sum(m.volume for m in c), c[0].rank))
    return [[m.text for m in c] for c in ordered]


def _describe_cluster(texts: Sequence[str], volumes: dict[str, int]) -> str:
    """The short description of a cluster."""
    total = sum(volumes.get(t, 0) for t in texts)
    return f"{len(texts)} keywords around '{texts[0]}', total volume {total:,}"



# ---------------------------------------------------------------------------------------------------
# Ideas

# Tie order when scores are equal: the safe, general structures first.
STRUCTURES = ("guide", "faq", "listicle", "review", "how_to", "comparison")
STRUCTURE_LABELS = {
    "guide": "practical guide", "how_to": "step-by-step guide", "listicle": "list article",
    "comparison": "comparison", "faq": "FAQ", "review": "review",
}
QUESTION_WORDS = frozenset(
    "what why when where which who whom whose how can could does do did is are should will would was were".split()
)
HOW_TO_VERBS = frozenset(
    "install installing fix fixing replace replacing repair repairing clean cleaning build make set setup "
    "remove test reset change adjust connect configure use wire unclog".split()
)
LIST_WORDS = frozenset("best top ideas types list examples cheapest popular".split())
COMPARE_WORDS = frozenset("vs versus compare compared comparison alternative alternatives difference".split())
REVIEW_WORDS = frozenset("review reviews rating ratings rated worth pros cons reliable reliability".split())
GUIDE_WORDS = frozenset("guide tutorial basics explained meaning definition introduction beginners beginner".split())
LEADING_MODIFIERS = ("top rated ", "top-rated ", "best ", "top ", "cheapest ", "cheap ")
TRAILING_MODIFIERS = (" reviews", " review")

IDEA_SPLIT = 5  # clusters with more keywords than this get a second idea
MIN_WORDS, MAX_WORDS = 900, 1800
MIN_SECTIONS, MAX_SECTIONS = 4, 7
TITLE_LIMIT = 70
HEADING_KEYWORD_LIMIT = 60

HEADINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "guide": {
        "open": ("{P}: The Basics", "Understanding {P}", "{P} at a Glance"),
        "body": ("{K}: Why It Matters", "Key Things to Know About {K}", "Getting Started With {K}",
                 "Common Mistakes With {K}", "{K}: Costs and Options", "Practical Tips for {K}",
                 "{K} in the Bigger Picture"),
        "close": ("Final Thoughts on {P}", "{P}: Key Takeaways"),
    },
    "how_to": {
        "open": ("Before You Start: {P} Basics", "What You Need for {P}"),
        "body": ("Step {n}: Plan for {K}", "Step {n}: Get Ready for {K}", "Step {n}: Work Through {K}",
                 "Step {n}: Check {K}", "Step {n}: Fine-Tune {K}", "Step {n}: Look After {K}"),
        "close": ("Troubleshooting {P}", "Common Problems With {P} and How to Fix Them"),
    },
    "listicle": {
        "open": ("{C} at a Glance", "What to Look for in {C}"),
        "body": ("{n}. {K}",),
        "close": ("Choosing the Right {C}", "How to Pick From These {C} Options"),
    },
    "comparison": {
        "open": ("{P} at a Glance", "{P}: What Is Being Compared"),
        "body": ("{K}: Strengths and Weaknesses", "{K}: Price and Value", "{K}: Performance Compared",
                 "{K}: Who It Suits Best", "{K}: Ease of Use"),
        "close": ("The Verdict on {P}", "Which Option Wins for {P}?"),
    },
    "faq": {
        "open": ("{P}: Quick Answers", "{P}: The Short Version"),
        "body": ("What Should You Know About {K}?", "What Are the Basics of {K}?", "When Should You Think About {K}?",
                 "How Do You Get {K} Right?", "What Do People Ask About {K}?"),
        "close": ("More Questions About {P}", "Still Wondering About {P}?"),
    },
    "review": {
        "open": ("{C} Review: Overview", "{C}: First Impressions"),
        "body": ("{K}: Features and Design", "{K}: Everyday Performance", "{K}: Price and Value",
                 "{K}: Pros and Cons", "Who Should Consider {K}?", "{K}: Reliability and Support"),
        "close": ("Our Verdict on {C}", "Is {C} Worth It?"),
    },
}

# A question as primary keyword does not fit "{P}: The Basics"; these frame it instead.
HOW_TO_PRIMARY_HEADINGS = (("Before You Start: What You Need to {X}",), ("Troubleshooting After You {X}",))
QUESTION_PRIMARY_HEADINGS = (("The Short Answer: {Q}",), ("Key Takeaways: {Q}",))

QUESTION_ANGLES = ("The Details", "Common Mistakes", "Practical Tips", "What Experts Check", "Costs and Options")

TITLES: dict[str, tuple[str, ...]] = {
    "guide": ("{P}: The Complete Guide", "{P}: A Practical Guide", "A Beginner's Guide to {P}",
              "{P} Explained: What You Need to Know"),
    "how_to": ("{P} Made Easy: A Step-by-Step Guide", "{P}: A Step-by-Step Guide"),
    "listicle": ("{N} Things to Know About {C}", "{C}: {N} Points Worth Knowing"),
    "comparison": ("{P} Compared: Options, Pros and Cons", "{P}: A Side-by-Side Comparison"),
    "faq": ("{P}: Your Questions Answered", "{P} FAQ: Answers to Common Questions"),
    "review": ("{C} Review: Is It Worth It?", "{C} Review: What Buyers Should Know"),
}


def _kw_words(text: str) -> list[str]:
    """Lowercase words of a keyword, stop words kept (they carry the question shape)."""
    return words(text)


def _is_question(text: str) -> bool:
    """Whether a keyword is phrased as a question ("what size sump pump do i need")."""
    w = _kw_words(text)
    return bool(w) and (w[0] in QUESTION_WORDS or text.rstrip().endswith("?"))


def _is_how_to(text: str) -> bool:
    """Whether a keyword asks how to do something ("how to install a sump pump", "fix sump pump")."""
    w = _kw_words(text)
    joined = " ".join(w)
    return joined.startswith("how to ") or " how to " in f" {joined} " or (bool(w) and w[0] in HOW_TO_VERBS)


def _shapes(text: str) -> set[str]:
    """The structures a keyword's wording points to."""
    w = set(_kw_words(text))
    shapes = set()
    if _is_how_to(text):
        shapes.add("how_to")
    elif _is_question(text):
        shapes.add("faq")
    if w & LIST_WORDS:
        shapes.add("listicle")
    if w & COMPARE_WORDS:
        shapes.add("comparison")
    if w & REVIEW_WORDS:
        shapes.add("review")
    if w & GUIDE_WORDS:
        shapes.add("guide")
    return shapes


def rank_structures(keywords: Sequence[KeywordInfo]) -> list[str]:
    """All structures, best fit for ``keywords`` first (highest-volume keyword first in the input).

    Wording weighs most ("how to" → how_to, "best"/"top" → listicle, "vs" → comparison,
    questions → faq, "review" → review); search intent adds a little (commercial and
    transactional lean to listicle/review, informational to guide/faq). The primary keyword
    counts double and higher volume counts a little more.
    """
    scores = dict.fromkeys(STRUCTURES, 0.0)
    scores["guide"] = 0.75
    for index, kw in enumerate(keywords):
        weight = (2.0 if index == 0 else 1.0) * (1 + math.log10(1 + max(kw.volume or 0, 0)) / 4)
        for shape in _shapes(kw.keyword):
            scores[shape] += 2 * weight
        intent = (kw.intent or "").lower()
        if intent == "commercial":
            scores["listicle"] += 0.6 * weight
            scores["review"] += 0.6 * weight
        elif intent == "transactional":
            scores["review"] += 0.5 * weight
            scores["listicle"] += 0.4 * weight
        elif intent == "informational":
            scores["guide"] += 0.4 * weight
            scores["faq"] += 0.2 * weight
        elif intent == "navigational":
            scores["guide"] += 0.3 * weight
            scores["review"] += 0.2 * weight
    return sorted(STRUCTURES, key=lambda s: (-scores[s], STRUCTURES.index(s)))


def _core(text: str) -> str:
    """A keyword without leading "best"/"top" and trailing "review(s)", for templates that add them."""
    core = " ".join(text.split())
    lowered = core.lower()
    for prefix in LEADING_MODIFIERS:
        if lowered.startswith(prefix) and len(core) > len(prefix):
            core, lowered = core[len(prefix):], lowered[len(prefix):]
            break
    for suffix in TRAILING_MODIFIERS:
        if lowered.endswith(suffix) and len(core) > len(suffix):
            core = core[: -len(suffix)]
            break
    return core


def _tc(text: str, limit: int = HEADING_KEYWORD_LIMIT) -> str:
    """A keyword in title case, cut on a word boundary to ``limit`` characters."""
    return title_case(truncate_words(text.rstrip(" ?"), limit))


def _question(text: str, limit: int = 80) -> str:
    """A question keyword as a heading: title case with a question mark ("How to ..." gets none)."""
    heading = _tc(text, limit)
    return heading if heading.lower().startswith("how to ") else heading + "?"


def _strip_how_to(text: str) -> str:
    """"how to install a sump pump" → "install a sump pump"."""
    lowered = text.lower()
    at = lowered.find("how to ")
    return text[at + len("how to "):] if at >= 0 else text


def target_words(keywords: Sequence[KeywordInfo]) -> int:
    """The length of a cluster's main article: 700 + 100 per keyword (up to 10), +100 at 1,000
    total monthly searches and +200 at 10,000, kept within 900-1800 and rounded to 50."""
    total = sum(max(kw.volume or 0, 0) for kw in keywords)
    bonus = 200 if total >= 10_000 else 100 if total >= 1_000 else 0
    raw = 700 + 100 * min(len(keywords), 10) + bonus
    return max(MIN_WORDS, min(MAX_WORDS, int(round(raw / 50.0)) * 50))


def _section_count(target: int) -> int:
    """About one H2 per 250 words, 4 to 7."""
    return max(MIN_SECTIONS, min(MAX_SECTIONS, round(target / 250)))


def _budgets(target: int, roles: list[str]) -> list[int]:
    """Per-section word budgets summing to ``target`` (the opening and closing sections are shorter)."""
    weights = [0.8 if r == "open" else 0.7 if r == "close" else 1.0 for r in roles]
    total = sum(weights)
    budgets = [int(target * w / total) for w in weights]
    body = roles.index("body") if "body" in roles else 0
    budgets[body] += target - sum(budgets)
    return budgets


def _body_heading(structure: str, keyword: str, template: str, step: int) -> str:
    """The heading of a body section led by ``keyword``."""
    if structure == "how_to" and _is_how_to(keyword) and "how to" in keyword.lower():
        return f"Step {step}: {_tc(_strip_how_to(keyword))}"
    if structure == "how_to" and _is_question(keyword):
        return f"Step {step}: {_question(keyword)}"
    if structure == "listicle":
        return f"{step}. {_question(keyword) if _is_question(keyword) else _tc(keyword)}"
    if _is_question(keyword):
        return _question(keyword)
    if structure == "comparison" and set(_kw_words(keyword)) & {"vs", "versus"}:
        return f"{_tc(keyword)}: Head-to-Head"
    return template.format(K=_tc(keyword), n=step)


def _unique(heading: str, taken: set[str], alternatives: Iterable[str]) -> str:
    """``heading`` unless already used in the outline, else the first unused alternative."""
    for candidate in (heading, *alternatives):
        if candidate.lower() not in taken:
            return candidate
    n = 2
    while f"{heading} ({n})".lower() in taken:
        n += 1
    return f"{heading} ({n})"


def _title(structure: str, primary: str, sections: int, variant: int) -> str:
    """An article title for ``structure`` built from the primary keyword, at most 70 characters."""
    lowered = primary.lower()
    if structure == "how_to" and lowered.startswith("how to "):
        templates: tuple[str, ...] = ("{Q}: A Step-by-Step Guide", "{Q}: Step by Step")
    elif structure == "listicle" and lowered.startswith(("best ", "top ")):
        templates = ("{T}: Our Top {N} Picks", "{T}: {N} Picks Worth a Look")
    elif structure == "comparison" and {"vs", "versus"} & set(_kw_words(primary)):
        templates = ("{T}: Which Is Better?", "{T}: How They Compare")
    elif _is_question(primary):
        templates = ("{Q}? Answers and Advice", "{Q}? A Clear, Practical Answer")
    else:
        templates = TITLES[structure]
    ordered = templates[variant % len(templates):] + templates[: variant % len(templates)]
    items = max(sections - 2, 1)
    for limit in (HEADING_KEYWORD_LIMIT, 45, 30, 20):
        for template in ordered:
            title = template.format(
                P=_tc(primary, limit), C=_tc(_core(primary), limit), T=_tc(primary, limit),
                Q=_tc(primary, limit), N=items,
            )
            if len(title) <= TITLE_LIMIT:
                return title
    return truncate_words(_tc(primary), TITLE_LIMIT)


def plan_idea(keywords: Sequence[KeywordInfo], structure: str, target: int, site: SiteInfo) -> IdeaOut:
    """One idea: title, outline covering every keyword, budgets summing to ``target``."""
    primary = keywords[0].keyword
    others = [kw.keyword for kw in keywords[1:]]
    # Keywords whose wording fits the structure lead the body sections ("how to ..." as steps).
    others.sort(key=lambda text: structure not in _shapes(text))
    count = _section_count(target)
    roles = ["open"] + ["body"] * (count - 2) + ["close"]
    bodies = count - 2
    assigned: list[list[str]] = [[] for _ in range(bodies)]
    for index, text in enumerate(others):
        assigned[index % bodies].append(text)
    # Fewer keywords than sections: revisit the strongest ones under another angle. Questions make
    # their own heading, so a repeated one would clash; plain phrases take the section's template.
    reusable = [t for t in [*others, primary] if not _is_question(t)] or [*others, primary]
    for index, group in enumerate(assigned):
        if not group:
            group.append(reusable[index % len(reusable)])

    spec = dict(HEADINGS[structure])
    if structure == "how_to" and primary.lower().startswith("how to "):
        spec["open"], spec["close"] = HOW_TO_PRIMARY_HEADINGS
    elif _is_question(primary):
        spec["open"], spec["close"] = QUESTION_PRIMARY_HEADINGS
    salt = _digest(primary, structure)
    taken: set[str] = set()
    headings = []
    open_templates = spec["open"][salt % len(spec["open"]):] + spec["open"][: salt % len(spec["open"])]
    values = {"P": _tc(primary), "C": _tc(_core(primary)), "Q": _question(primary),
              "X": _tc(_strip_how_to(primary))}
    first = _unique(open_templates[0].format(**values), taken, (t.format(**values) for t in open_templates[1:]))
    taken.add(first.lower())
    headings.append(first)
    body = spec["body"]
    for index, group in enumerate(assigned):
        rotated = [body[(salt + index + k) % len(body)] for k in range(len(body))]
        heading = _body_heading(structure, group[0], rotated[0], index + 1)
        if _is_question(group[0]):
            # A question used twice cannot take "Key Things to Know About <question>"; add an angle.
            asked = _question(group[0])
            joint = " " if asked.endswith("?") else ": "
            alternatives: Iterable[str] = (f"{asked}{joint}{angle}" for angle in QUESTION_ANGLES)
        else:
            alternatives = (t.format(K=_tc(group[0]), n=index + 1) for t in rotated[1:])
        heading = _unique(heading, taken, alternatives)
        taken.add(heading.lower())
        headings.append(heading)
    close_templates = spec["close"][salt % len(spec["close"]):] + spec["close"][: salt % len(spec["close"])]
    last = _unique(close_templates[0].format(**values), taken, (t.format(**values) for t in close_templates[1:]))
    headings.append(last)

    budgets = _budgets(target, roles)
    section_keywords = [[primary]] + assigned + [[primary]]
    outline = [OutlineSection(heading=h, keywords=list(k), word_budget=b)
               for h, k, b in zip(headings, section_keywords, budgets, strict=True)]
    title = _title(structure, primary, count, salt)
    label = STRUCTURE_LABELS[structure]
    if others:
        named = ", ".join(f"'{o}'" for o in others[:3])
        more = f" and {len(others) - 3} more related searches" if len(others) > 3 else ""
        description = f"A {label} on '{primary}' for {site.name}, also covering {named}{more}."
    else:
        description = f"A {label} on '{primary}' for {site.name}."
    return IdeaOut(title=title, description=description, content_structure=structure, primary_keyword=primary,
                   outline=outline, target_words=target, content_type="post")


# ---------------------------------------------------------------------------------------------------
# Writer
#
# Sentence banks: {kw}/{Kw} is a keyword of the section (capitalised at the start of a sentence),
# {topic}/{Topic} the primary keyword, {site} the site's name. Sentences are picked by a hash of
# the article, section and slot, and never repeated within one article.

INTRO_LEAD = (
    "If you have been searching for {topic}, this {label} brings the essentials together in one place.",
    "{Topic} looks simple from the outside, but a few details decide whether things go smoothly.",
    "This {label} walks through {topic} in plain language, with advice you can act on straight away.",
    "Getting {topic} right saves time, money and a fair amount of frustration later on.",
    "Readers ask about {topic} more often than almost anything else, so this {label} answers them in one place.",
    "Whether you are new to {topic} or revisiting it, the sections below keep things clear and practical.",
)
# When the primary keyword is a question ("how to install a sump pump"), it is quoted, not used as a noun.
INTRO_LEAD_Q = (
    "If you have been asking \u201c{topic}\u201d, this {label} brings the answer together in one place.",
    "\u201c{Topic}\u201d sounds like a simple question, but a few details decide the right answer for you.",
    "This {label} answers \u201c{topic}\u201d in plain language, with advice you can act on straight away.",
    "Plenty of people search for \u201c{topic}\u201d, and most of them want a clear, practical answer.",
)
INTRO_MORE = (
    "We cover what matters first, then the details that experienced people check before they decide.",
    "Each section answers one question, so you can jump straight to the part you need.",
    "You will find practical tips, common mistakes to avoid and a short checklist along the way.",
    "Nothing here requires specialist knowledge, just a little time and attention.",
    "Along the way we point out where it pays to slow down and where a quick decision is fine.",
    "The team at {site} keeps this kind of advice practical, so every section ends with something you can do.",
    "The goal is simple: help you make a confident decision without wading through jargon.",
)
KEYWORD_SENTENCES = (
    "When it comes to {kw}, the details make a bigger difference than most people expect.",
    "A good starting point for {kw} is to write down what you actually need before comparing options.",
    "Many people who look into {kw} are trying to solve a specific problem rather than learn the theory.",
    "The right approach to {kw} depends on your situation, your budget and how much time you can give it.",
    "It pays to check the basics of {kw} first, because small oversights cause the biggest headaches later.",
    "People who have dealt with {kw} before usually recommend starting small and adjusting as you learn.",
    "Quality matters with {kw}: a slightly better choice up front often saves money over time.",
    "If you are unsure about {kw}, talking to someone with hands-on experience saves a lot of trial and error.",
    "Reading the specifications for {kw} carefully is dull, but it prevents most of the common problems.",
    "Think about how {kw} fits into the bigger picture rather than treating it as a separate issue.",
    "Prices and options for {kw} vary widely, so compare at least two or three before you commit.",
    "Most problems with {kw} come down to a handful of causes, and they are easy to spot once you know where to look.",
    "Timing matters with {kw}, since acting early is almost always cheaper than fixing things later.",
    "{Kw} does not need to be complicated to work well.",
    "{Kw} deserves a closer look, because it affects how well everything else works.",
    "There is no single right answer for {kw}, but there are a few choices that are almost always wrong.",
    "Before spending anything on {kw}, check what you already have and what it can still do.",
    "Online advice about {kw} is often contradictory, so favour sources that explain their reasoning.",
    "Small improvements to {kw} add up, especially when you review them every few months.",
    "{Kw} tends to reward patience: the careful option is usually the cheaper one in the end.",
    "A short checklist for {kw} helps you avoid forgetting the steps that matter most.",
    "It helps to separate the must-haves for {kw} from the nice-to-haves before you shop around.",
    "Local conditions can change what works best for {kw}, so adapt general advice to your own situation.",
    "Keeping notes on what you try with {kw} makes the next decision much easier.",
    "The first question to ask about {kw} is what a good result would look like for you.",
    "Experienced people rarely treat {kw} as a one-off job; they come back to it as things change.",
    "What works for {kw} in one place may not work in another, so test before you commit.",
    "It is tempting to rush {kw}, but an extra hour of planning usually pays for itself.",
    "{Kw} is easier to judge once you know which two or three factors matter most to you.",
    "If {kw} has caused trouble before, look first at what changed just before the problem started.",
)
QUESTION_SENTENCES = (
    "A common question is \u201c{kw}\u201d, and the honest answer is that it depends on a few practical factors.",
    "If you have ever typed \u201c{kw}\u201d into a search bar, the points below should help.",
    "People asking \u201c{kw}\u201d usually want a clear, practical answer rather than theory.",
    "The question \u201c{kw}\u201d comes up often, and it deserves a straight answer.",
    "To answer \u201c{kw}\u201d properly, start with your own situation rather than a general rule.",
    "Searches like \u201c{kw}\u201d show how many people run into the same uncertainty.",
    "Anyone wondering \u201c{kw}\u201d is in good company, and the answer is easier than it looks.",
    "Before answering \u201c{kw}\u201d, it helps to know the few facts that decide it.",
)
TOPIC_SENTENCES = (
    "Every part of {topic} connects to the others, so a change in one place often shows up somewhere else.",
    "With {topic}, a steady routine beats occasional bursts of effort.",
    "The best results with {topic} come from understanding why each step matters, not just what to do.",
    "Many of the questions people have about {topic} are answered by reading the instructions once, slowly.",
    "If you only remember one thing about {topic}, make it this: check the basics before anything else.",
    "Experienced people treat {topic} as an ongoing job rather than a one-off task.",
    "Budget for {topic} realistically, including the small extras that are easy to forget.",
    "It is easy to overthink {topic}; a clear plan and a few good habits cover most situations.",
    "The basics of {topic} have not changed much over the years, even if the products have.",
    "A little knowledge about {topic} goes a long way when you talk to suppliers or professionals.",
    "Most mistakes with {topic} happen at the start, when it is tempting to skip the planning.",
    "Knowing the limits of {topic} is just as useful as knowing its strengths.",
    "Good information about {topic} is easy to find once you know which questions to ask.",
    "Over the long run, {topic} is cheaper to get right than to put right.",
    "There is a reason experienced people keep things simple with {topic}: simple setups fail less often.",
    "Your own circumstances should shape every decision about {topic}.",
)
TOPIC_SENTENCES_Q = (
    "The answer to \u201c{topic}\u201d depends on a handful of factors, and most of them are easy to check.",
    "Anyone asking \u201c{topic}\u201d should start with their own situation rather than a general rule.",
    "It is easy to overthink \u201c{topic}\u201d; a clear plan and a few good habits cover most situations.",
    "Experienced people answer \u201c{topic}\u201d by checking the basics first.",
    "Most mistakes around \u201c{topic}\u201d happen when people skip the planning.",
    "A good answer to \u201c{topic}\u201d balances cost, effort and long-term results.",
    "Reading the instructions once, slowly, settles much of \u201c{topic}\u201d on its own.",
    "There is no one-size-fits-all answer to \u201c{topic}\u201d, but there are clear rules of thumb.",
    "Local conditions change the answer to \u201c{topic}\u201d more than most people expect.",
    "Knowing why each step matters is the real answer to \u201c{topic}\u201d.",
    "The details behind \u201c{topic}\u201d have not changed much over the years, even if the products have.",
    "A little background makes \u201c{topic}\u201d far easier to discuss with suppliers or professionals.",
)
FILLER_SENTENCES = (
    "Start with the option that solves your main problem, then refine from there.",
    "A little preparation goes a long way here.",
    "It is worth taking a few minutes to check this before moving on.",
    "Write down what you decide and why, so you can revisit it later.",
    "Cheap shortcuts tend to cost more in the long run.",
    "If something feels unclear, pause and look it up rather than guessing.",
    "Reliable information beats quick opinions, especially when money is involved.",
    "Give yourself enough time, because rushing is the most common source of mistakes.",
    "Small, regular checks catch most issues before they become expensive.",
    "Your own needs should guide the decision more than any general ranking.",
    "A second opinion is rarely wasted when the stakes are high.",
    "Look at the total cost over several years, not just the price today.",
    "Clear labels and simple records make future work far easier.",
    "The simplest solution that meets your needs is usually the best one.",
    "Safety comes first, even when it means taking a slower route.",
    "Keep spare parts and instructions together so they are easy to find.",
    "Trust measurements and facts over assumptions.",
    "When in doubt, choose the option that is easiest to undo.",
    "Most people find the second attempt much easier than the first.",
    "A quick review after a few weeks shows whether your choice is working.",
    "Good habits matter more than expensive equipment.",
    "Ask what problem you are really trying to solve before adding anything new.",
    "Plan for the worst realistic case, not the worst imaginable one.",
    "Consistency is what turns good intentions into good results.",
    "Manufacturers' guidelines exist for a reason, so read them before improvising.",
    "Warranties and return policies are worth checking before you buy, not after.",
    "A clear budget makes every other choice easier.",
    "Photos and notes taken today will save time the next time you need them.",
    "Trying to do everything at once usually means doing nothing well.",
    "It is fine to start with a modest setup and upgrade later.",
    "Reviews from people with a similar situation are more useful than star ratings.",
    "An honest look at how you will actually use something beats any feature list.",
    "Some problems are best left to a professional, and knowing which ones is a skill in itself.",
    "Little signs of trouble are easier to fix than the big failures they lead to.",
    "Keeping things tidy and accessible makes maintenance far less of a chore.",
    "A calendar reminder is the easiest way to make sure routine checks really happen.",
    "If two options seem equal, pick the one with better support.",
    "Seasonal changes can affect performance, so plan ahead for them.",
    "The right choice today may not be the right choice in five years, and that is fine.",
    "Asking a few simple questions up front avoids most disappointments later.",
    "Test one change at a time, so you know what actually made the difference.",
    "Being realistic about your time is as important as being realistic about your budget.",
    "Small details, such as fit and finish, often separate a good result from a great one.",
    "Do not be afraid to change course if the first plan is not working.",
    "The effort you put in early is repaid many times over.",
    "Clear, written steps make it easy for someone else to help when you need it.",
    "A good result is one you do not have to think about every day.",
    "Keep the receipts and paperwork in one place; you will be glad of it later.",
)
STRUCTURE_SENTENCES: dict[str, tuple[str, ...]] = {
    "guide": (
        "Understanding the basics first makes every later decision easier.",
        "Think of this part as the foundation for everything that follows.",
        "Once the fundamentals are clear, the finer points fall into place quickly.",
        "Knowing the vocabulary helps you ask better questions when you need help.",
        "This is the part most guides skip, and it is the part that causes most problems.",
        "A clear picture of the whole job makes each individual step less daunting.",
        "It is worth reading this section even if you think you know the basics.",
        "Each of these points builds on the one before it.",
    ),
    "how_to": (
        "Before you begin, gather everything you need so you are not interrupted halfway through.",
        "Work slowly and check each stage before moving to the next one.",
        "If something does not look right, stop and double-check rather than forcing it.",
        "Take a photo before you change anything, so you can always see how it was.",
        "Follow the manufacturer's instructions where they differ from general advice.",
        "Switch off power and water where relevant before starting any hands-on work.",
        "Lay out the parts in the order you will need them.",
        "Once this step is done, test it before moving on to the next.",
        "If you get stuck, retrace the last step rather than pressing on.",
        "A second pair of hands makes this step quicker and safer.",
    ),
    "listicle": (
        "This option earns its place on the list by balancing cost, quality and ease of use.",
        "It is not the right fit for everyone, but it stands out in the situations it was made for.",
        "Compared with the other entries, this one is easier to get started with.",
        "Long-term owners tend to rate this kind of option highly for reliability.",
        "It is a sensible pick if you want something that simply works.",
        "The main trade-off here is between upfront price and long-term running costs.",
        "It suits people who value reliability over extra features.",
        "Check that it fits your setup before you order, as sizes and specifications vary.",
    ),
    "comparison": (
        "On paper the options look similar, but the differences show up in everyday use.",
        "The cheaper choice is not always the better value once running costs are included.",
        "Neither option is best in every case; the winner depends on what you value most.",
        "Look at how each option handles the situations you actually face, not just the headline numbers.",
        "Differences in support and warranty can matter more than small differences in performance.",
        "A side-by-side list of must-haves makes the comparison far easier.",
        "Consider how each option will cope as your needs change over the next few years.",
        "The best way to compare is against your own requirements, not against each other.",
    ),
    "faq": (
        "The short answer depends on your setup, but a few rules of thumb cover most situations.",
        "If your situation is unusual, treat this answer as a starting point rather than a final word.",
        "This is one of the most common questions, and the answer is simpler than it first appears.",
        "When in doubt, a qualified professional can confirm the answer for your specific case.",
        "The answer changes with local rules and conditions, so check what applies where you are.",
        "Most of the time, the simplest explanation turns out to be the right one.",
        "It is a fair question, and the answer affects several other decisions.",
        "A quick check usually settles this question for good.",
    ),
    "review": (
        "Build quality and materials are a good predictor of how long something will last.",
        "Everyday use reveals strengths and weaknesses that a specification sheet cannot show.",
        "Value for money is about more than price: it includes reliability and support.",
        "Owner feedback over months, not days, gives the most honest picture.",
        "Setup is straightforward for most people, though the instructions could be clearer.",
        "The design choices make sense once you see how it is meant to be used.",
        "It is not perfect, and the weak points are worth knowing before you buy.",
        "Support and spare parts matter as much as the product itself over the years.",
    ),
}
CLOSING_SENTENCES = (
    "To sum up, {topic} rewards a careful, step-by-step approach.",
    "Take the points above one at a time and you will make better decisions about {topic}.",
    "Come back to this {label} whenever a new question about {topic} comes up.",
    "With the basics in place, {topic} becomes much less daunting.",
    "The most important step is the first one, so pick one idea from this {label} and act on it.",
    "Good decisions about {topic} come from clear information, and you now have the essentials.",
    "If you are still unsure about {topic}, start with the simplest option and build from there.",
    "A few minutes of planning today will make {topic} much easier tomorrow.",
)
CLOSING_SENTENCES_Q = (
    "To sum up, the answer to \u201c{topic}\u201d comes down to a careful, step-by-step approach.",
    "Take the points above one at a time and \u201c{topic}\u201d becomes much easier to answer.",
    "Come back to this {label} whenever \u201c{topic}\u201d comes up again.",
    "With the basics in place, \u201c{topic}\u201d is far less daunting than it first seemed.",
    "If you are still unsure about \u201c{topic}\u201d, start with the simplest option and build from there.",
    "A few minutes of planning today will make \u201c{topic}\u201d much easier to answer tomorrow.",
)
# Sentence openers used to vary rhythm; none may clash with a sentence's own opening words.
TRANSITIONS = (
    "In practice, ", "As a rule, ", "On top of that, ", "Just as important, ", "In our experience, ",
    "That said, ", "Over time, ", "Put simply, ", "Either way, ", "Above all, ", "Equally, ", "Of course, ",
)
LIST_ITEMS: dict[str, tuple[str, ...]] = {
    "guide": (
        "Define what you need from {kw} before comparing options.",
        "Compare at least two or three choices side by side.",
        "Check the total cost, including upkeep and replacements.",
        "Ask for advice when a detail of {kw} is unclear.",
        "Review your choice after a few weeks of use.",
        "Keep the paperwork for {kw} in one place.",
        "Set a reminder for routine checks.",
        "Note what you would do differently next time.",
    ),
    "how_to": (
        "Gather the tools, parts and instructions you need for {kw}.",
        "Set aside enough time so you are not rushing the job.",
        "Work through each stage in order and check your progress.",
        "Test the result carefully before calling the job finished.",
        "Write down what worked so the next time is quicker.",
        "Double-check the measurements for {kw} before you cut or fix anything.",
        "Clean up and store the leftover parts where you can find them.",
        "Keep the manual for {kw} somewhere easy to reach.",
    ),
    "listicle": (
        "Best for: people who want {kw} without the guesswork.",
        "What to check: build quality, fit and the total cost over time.",
        "Watch out for: cheap options that cut corners on the details.",
        "Good to know: long-term owner reviews are the most useful.",
        "Why it is here: {kw} balances price and reliability well.",
        "Skip it if: you need something highly specialised.",
        "Tip: compare warranties for {kw} before you buy.",
        "Worth noting: availability and prices change through the year.",
    ),
    "comparison": (
        "Upfront cost versus long-term value of {kw}.",
        "Ease of setup and day-to-day use.",
        "Reliability and expected lifespan.",
        "Warranty, support and availability of spare parts.",
        "How well {kw} fits your specific needs.",
        "Running and maintenance costs over several years.",
        "How easy it is to upgrade or replace later.",
        "What owners of {kw} say after a year of use.",
    ),
    "faq": (
        "Check the basics of {kw} first.",
        "Compare your situation with the typical case described here.",
        "Note anything unusual before you ask for help.",
        "Confirm with a professional when safety is involved.",
        "Look up any local rules that apply to {kw}.",
        "Keep a record of what you checked and when.",
    ),
    "review": (
        "Features and design of {kw}.",
        "Performance in everyday use.",
        "Price, running costs and overall value.",
        "Reliability, warranty and support.",
        "Ease of setup for {kw}.",
        "Who it suits best, and who should look elsewhere.",
        "Noise, size and other practical details.",
    ),
}
LIST_LEADS = (
    "Here is a quick checklist:",
    "Keep these points in mind:",
    "The essentials at a glance:",
    "A short summary of what to check:",
)
ORDERED_STRUCTURES = frozenset({"how_to"})
# Structures whose body sections each carry a list; others get one list in the first body section.
LIST_EVERY_BODY = frozenset({"how_to", "listicle", "comparison"})
META_TITLE_LIMIT = 60
META_DESCRIPTION_LIMIT = 160
SECONDARY_LIMIT = 10
META_BLURBS = {
    "guide": "A practical guide with clear advice, common mistakes to avoid and a handy checklist.",
    "how_to": "Step-by-step instructions, the tools you need and fixes for common problems.",
    "listicle": "Our picks, what to look for and how to choose the right option for you.",
    "comparison": "A side-by-side comparison of the options, with pros, cons and a clear verdict.",
    "faq": "Straight answers to the questions people ask most, with practical tips.",
    "review": "An honest review covering features, performance, value and who it suits.",
}


def _cap(text: str) -> str:
    """``text`` with its first letter upper-cased (the rest untouched)."""
    return text[:1].upper() + text[1:]


class _Pen:
    """Writes one article: picks sentences deterministically and never repeats one."""

    def __init__(self, seed: str, topic: str, structure: str, site: str):
        """A pen for one article; ``seed`` drives every choice, ``topic`` is the primary keyword."""
        self.seed = seed
        self.topic = topic
        self.structure = structure
        self.label = STRUCTURE_LABELS.get(structure, "guide")
        self.site = " ".join(site.split())
        self.used: set[str] = set()
        self.templates: set[str] = set()
        asked = _is_question(topic)
        self.lead_bank = INTRO_LEAD_Q if asked else INTRO_LEAD
        self.topic_bank = TOPIC_SENTENCES_Q if asked else TOPIC_SENTENCES
        self.closing_bank = CLOSING_SENTENCES_Q if asked else CLOSING_SENTENCES

    def _fill(self, template: str, kw: str, first: bool = True) -> str:
        """A template with its slots filled (plain text, not yet escaped); ``first``: opens the sentence."""
        cap = _cap if first else str
        return template.format(kw=kw, Kw=cap(kw), topic=self.topic, Topic=cap(self.topic),
                               label=self.label, site=self.site)

    def pick(self, bank: Sequence[str], slot: str, kw: str = "", transition: bool = True) -> str:
        """An unused sentence from ``bank`` for this slot, sometimes opened by a transition.

        Templates not yet used in the article come first, then used templates with a new keyword,
        then used ones behind a transition, so a long article varies instead of repeating itself.
        """
        size = len(bank)
        start = _digest(self.seed, slot) % size
        order = [bank[(start + i) % size] for i in range(size)]
        if not self.site:
            order = [t for t in order if "{site}" not in t] or order
        fresh = [t for t in order if t not in self.templates]
        spice = _digest(self.seed, slot, "t") % 4 == 0
        for template in [*fresh, *(t for t in order if t in self.templates)]:
            sentence = self._sentence(template, kw, slot, 0 if spice and transition else None)
            if sentence not in self.used:
                return self._take(template, sentence)
        if transition:
            for round_ in range(1, len(TRANSITIONS)):
                for template in order:
                    sentence = self._sentence(template, kw, slot, round_)
                    if sentence not in self.used:
                        return self._take(template, sentence)
        return self._fill(order[0], kw)

    def _sentence(self, template: str, kw: str, slot: str, round_: int | None) -> str:
        """``template`` filled, behind transition number ``round_`` (None: no transition)."""
        if round_ is None or "{site}" in template:
            return self._fill(template, kw)
        lead = TRANSITIONS[(_digest(self.seed, slot) + round_) % len(TRANSITIONS)]
        body = self._fill(template, kw, first=False)
        if not template.startswith("{"):
            body = body[:1].lower() + body[1:]
        return lead + body

    def _take(self, template: str, sentence: str) -> str:
        """Record ``sentence`` (and its template) as used and return it."""
        self.templates.add(template)
        self.used.add(sentence)
        return sentence

    def intro(self, budget: int) -> str:
        """The opening paragraph: the primary keyword in its first sentence."""
        sentences = [self.pick(self.lead_bank, "intro", transition=False)]
        n = 0
        while count_words(" ".join(sentences)) < budget - 6:
            bank = INTRO_MORE if n % 2 == 0 else self.topic_bank
            sentences.append(self.pick(bank, f"intro-{n}", self.topic))
            n += 1
        return " ".join(sentences)

    def _list(self, index: int, keywords: Sequence[str]) -> tuple[list[str], int] | None:
        """An HTML list (and its lead-in paragraph) for section ``index``, with its word count."""
        bank = LIST_ITEMS.get(self.structure, LIST_ITEMS["guide"])
        wanted = 3 + _digest(self.seed, index, "items") % 2
        start = _digest(self.seed, index, "list") % len(bank)
        # Items read "Best for: people who want <kw>", so a question keyword would not fit there.
        plain = [k for k in [*keywords, self.topic] if not _is_question(k)]
        items: list[str] = []
        for offset in range(len(bank)):
            template = bank[(start + offset) % len(bank)]
            if "{kw}" in template and not plain:
                continue
            item = self._fill(template, plain[len(items) % len(plain)] if plain else "")
            if item not in self.used:
                items.append(item)
            if len(items) == wanted:
                break
        if len(items) < 3:
            return None
        self.used.update(items)
        lead = LIST_LEADS[_digest(self.seed, index, "lead") % len(LIST_LEADS)]
        tag = "ol" if self.structure in ORDERED_STRUCTURES else "ul"
        body = "".join(f"<li>{html.escape(item)}</li>" for item in items)
        words = count_words(lead) + sum(count_words(item) for item in items)
        return [f"<p>{html.escape(lead)}</p>", f"<{tag}>{body}</{tag}>"], words

    def section(self, index: int, role: str, keywords: Sequence[str], budget: int, with_list: bool) -> list[str]:
        """The HTML blocks under one H2: paragraphs of about ``budget`` words, maybe a list."""
        sentences = []
        for k, kw in enumerate(keywords):
            bank = QUESTION_SENTENCES if _is_question(kw) else KEYWORD_SENTENCES
            sentences.append(self.pick(bank, f"s{index}-kw{k}", kw))
        listing = self._list(index, keywords) if with_list else None
        extra = listing[1] if listing else 0

        structure_bank = STRUCTURE_SENTENCES.get(self.structure, STRUCTURE_SENTENCES["guide"])
        # "This option..." sentences of lists and reviews only make sense under an item heading.
        if role == "open":
            pools = (self.topic_bank, FILLER_SENTENCES, FILLER_SENTENCES, KEYWORD_SENTENCES, FILLER_SENTENCES,
                     FILLER_SENTENCES)
        elif role == "close":
            pools = (self.closing_bank, FILLER_SENTENCES, self.topic_bank, FILLER_SENTENCES)
        else:
            # Keyword sentences only every few lines: enough to stay on topic, not keyword stuffing.
            pools = (structure_bank, FILLER_SENTENCES, KEYWORD_SENTENCES, FILLER_SENTENCES, self.topic_bank,
                     FILLER_SENTENCES)
        total = count_words(" ".join(sentences)) + extra
        j = 0
        while True:
            kw = keywords[j % len(keywords)]
            bank = pools[j % len(pools)]
            if bank is KEYWORD_SENTENCES and _is_question(kw):
                # A quoted question reads well once per section; more often it sounds like a parrot.
                bank = FILLER_SENTENCES
            candidate = self.pick(bank, f"s{index}-f{j}", kw, transition=bank is not self.closing_bank)
            size = count_words(candidate)
            # Stop where the next sentence would overshoot more than it fills.
            if len(sentences) >= 2 and total + size / 2 > budget:
                break
            sentences.append(candidate)
            total += size
            j += 1

        paragraphs: list[list[str]] = []
        at = 0
        while at < len(sentences):
            size = 3 + _digest(self.seed, index, "p", at) % 2
            paragraphs.append(sentences[at:at + size])
            at += size
        if len(paragraphs) > 1 and len(paragraphs[-1]) == 1:
            tail = paragraphs.pop()
            paragraphs[-1] = paragraphs[-1] + tail
        blocks = [f"<p>{html.escape(' '.join(p))}</p>" for p in paragraphs]
        if listing:
            blocks[1:1] = listing[0]
        return blocks


def _meta_title(title: str, primary: str, structure: str) -> str:
    """At most 60 characters, containing the primary keyword (cut on a word boundary if it is longer)."""
    if len(title) <= META_TITLE_LIMIT and primary.casefold() in title.casefold():
        return title
    head = " ".join(primary.split())
    head = _question(head, 200) if _is_question(head) else title_case(head)
    suffix = {"guide": "Complete Guide", "how_to": "Step-by-Step Guide", "listicle": "Top Picks",
              "comparison": "Comparison", "faq": "FAQ", "review": "Review"}.get(structure, "Guide")
    for candidate in (f"{head}: {suffix}", head):
        if len(candidate) <= META_TITLE_LIMIT:
            return candidate
    return truncate_words(head, META_TITLE_LIMIT)


def _meta_description(primary: str, structure: str, secondary: Sequence[str]) -> str:
    """At most 160 characters, opening with the primary keyword, naming related searches if they fit."""
    blurb = META_BLURBS.get(structure, META_BLURBS["guide"])
    text = f"{_cap(' '.join(primary.split()))}: {blurb}"
    if len(text) > META_DESCRIPTION_LIMIT:
        return truncate_words(text, META_DESCRIPTION_LIMIT, "…")
    named: list[str] = []
    for keyword in secondary:
        candidate = f"{text} Also covers {', '.join([*named, keyword])}."
        if len(candidate) > META_DESCRIPTION_LIMIT:
            break
        named.append(keyword)
    return f"{text} Also covers {', '.join(named)}." if named else text


def write_article(task: TaskInfo, site: SiteInfo) -> ArticleOut:
    """The article for ``task``: intro, one H2 per outline section in order, lists, meta fields."""
    if not task.outline:
        raise AIError("the task has no outline to write from")
    primary = " ".join((task.primary_keyword or "").split()) or next(
        (k for k in [*task.keywords, *(k for s in task.outline for k in s.keywords)] if k.strip()), "")
    if not primary:
        raise AIError("the task has no primary keyword")
    structure = task.content_structure if task.content_structure in STRUCTURE_LABELS else "guide"
    budgets = [max(s.word_budget, 0) for s in task.outline]
    target = task.target_words if task.target_words > 0 else sum(budgets)
    if target <= 0:
        raise AIError("the task has no word budget")
    if sum(budgets) <= 0:
        budgets = [target // len(task.outline)] * len(task.outline)

    pen = _Pen(f"{task.title}\x1f{primary}\x1f{structure}", primary, structure, site.name)
    intro_budget = max(45, min(110, round(target * 0.07)))
    heading_words = sum(count_words(s.heading) for s in task.outline)
    # Lists' lead-ins and items count towards their section, so the sections share what is left.
    scale = max(0.3, (target - intro_budget - heading_words) / sum(budgets))

    last = len(task.outline) - 1
    list_at = {min(1, last)}
    if structure in LIST_EVERY_BODY:
        list_at |= set(range(1, last, 2))
    parts = [f"<p>{html.escape(pen.intro(intro_budget))}</p>"]
    for index, section in enumerate(task.outline):
        keywords = [" ".join(k.split()) for k in section.keywords if k.strip()] or [primary]
        role = "open" if index == 0 else "close" if index == last and last > 1 else "body"
        parts.append(f"<h2>{html.escape(section.heading)}</h2>")
        parts += pen.section(index, role, keywords, round(budgets[index] * scale), index in list_at)

    title = " ".join(task.title.split()) or _title(structure, primary, len(task.outline), 0)
    seen = {primary.casefold()}
    secondary = []
    for keyword in [*task.keywords, *(k for s in task.outline for k in s.keywords)]:
        keyword = keyword.strip()
        if keyword and keyword.casefold() not in seen:
            seen.add(keyword.casefold())
            secondary.append(keyword)
    return ArticleOut(
        title=title,
        meta_title=_meta_title(title, primary, structure),
        meta_description=_meta_description(primary, structure, secondary),
        html="\n".join(parts),
        primary_keyword=primary,
        secondary_keywords=secondary[:SECONDARY_LIMIT],
    )


# ---------------------------------------------------------------------------------------------------
# Image prompts

IMAGE_STYLES = (
    "Clean editorial photograph",
    "Flat vector illustration with simple shapes",
    "Isometric 3D illustration",
    "Soft watercolor illustration",
    "Minimalist line-art illustration with muted colors",
)
IMAGE_COMPOSITIONS = (
    "wide landscape composition with the subject centred and generous negative space",
    "rule-of-thirds composition with a shallow depth of field",
    "overhead flat-lay composition",
    "three-quarter view with a softly blurred background",
    "close-up detail shot filling most of the frame",
)
IMAGE_LIGHTING = (
    "soft natural daylight", "warm golden-hour light", "bright, even studio lighting", "cool overcast light",
)
IMAGE_ANGLES = ("in everyday use", "shown in close-up detail", "in a realistic setting", "from a fresh angle")
NO_TEXT = "No text, letters, logos or watermarks in the image."
ALT_LIMIT = 125
MAX_IN_ARTICLE = 20
STEP_PREFIX_RE = re.compile(r"^\s*(?:step\s+\d+\s*[:.\-–]\s*|\d+\s*[.)]\s*)", re.IGNORECASE)


def _subject(heading: str) -> str:
    """A heading as an image subject: numbering dropped, sentence case, no trailing punctuation.

    Headings are in title case; words capitalised only for that go back to lower case, while
    acronyms and brand spellings ("AI", "PostHog") stay.
    """
    words_ = STEP_PREFIX_RE.sub("", heading).strip().rstrip("?.!:").split()
    return " ".join(w.lower() if w[1:] == w[1:].lower() else w for w in words_)


def image_prompts(content: ContentInfo, in_article: int) -> list[ImagePromptOut]:
    """One featured prompt (position 0) and ``in_article`` prompts built from the headings."""
    if in_article < 0 or in_article > MAX_IN_ARTICLE:
        raise AIError(f"in-article image count must be between 0 and {MAX_IN_ARTICLE}")
    title = " ".join(content.title.split())
    primary = " ".join(content.primary_keyword.split()) or title
    if not primary:
        raise AIError("the content has no title or primary keyword to illustrate")
    salt = _digest(title, primary)
    # One style for the whole article so its images look like a set.
    style = IMAGE_STYLES[salt % len(IMAGE_STYLES)]
    lighting = IMAGE_LIGHTING[salt % len(IMAGE_LIGHTING)]
    headings = [h for h in (_subject(h) for h in content.headings) if h]

    def composition(position: int) -> str:
        """The framing for the image at ``position``."""
        return IMAGE_COMPOSITIONS[(salt + position) % len(IMAGE_COMPOSITIONS)]

    featured = ImagePromptOut(
        kind="featured",
        position=0,
        prompt=(f"{style} representing {primary}, as the hero image of an article titled "
                f"\u201c{title or primary}\u201d. {_cap(composition(0))}, {lighting}. {NO_TEXT}"),
        alt_text=truncate_words(f"{_cap(primary)}: illustration for \u201c{title or primary}\u201d", ALT_LIMIT, "…"),
    )
    prompts = [featured]
    # The first heading usually introduces the topic the featured image already shows.
    pool = headings[1:] or headings
    for position in range(1, in_article + 1):
        if pool:
            subject = pool[(position - 1) % len(pool)]
            angle = "" if position <= len(pool) else f", {IMAGE_ANGLES[position % len(IMAGE_ANGLES)]}"
            prompt = (f"{style} illustrating {subject}{angle}, in the context of {primary}. "
                      f"{_cap(composition(position))}, {lighting}. {NO_TEXT}")
            alt = f"Illustration of {subject} ({primary})"
        else:
            angle = IMAGE_ANGLES[position % len(IMAGE_ANGLES)]
            prompt = f"{style} of {primary} {angle}. {_cap(composition(position))}, {lighting}. {NO_TEXT}"
            alt = f"{_cap(primary)} {angle}"
        prompts.append(ImagePromptOut(kind="in_article", position=position, prompt=prompt,
                                      alt_text=truncate_words(alt, ALT_LIMIT, "…")))
    return prompts


# ---------------------------------------------------------------------------------------------------
# Provider


class OfflineProvider:
    """The built-in provider used when no OpenAI key is configured: text and images, no network."""

    name = PROVIDER

    def cluster_keywords(self, keywords: list[KeywordInfo], site: SiteInfo) -> ClusterResult:
        """Group ``keywords`` into lexical clusters of 3-10, each named after its highest-volume keyword.

        Keywords the term tree leaves out join the closest cluster with room or are packed
        together by shared stems; only a batch of fewer than three keywords stays unclustered.
        """
        started = time.perf_counter()
        if not keywords:
            raise AIError("no keywords to cluster")
        volumes: dict[str, int] = {}
        for kw in keywords:
            volumes.setdefault(kw.keyword, kw.volume or 0)
        groups = cluster_items((kw.keyword, kw.volume) for kw in keywords)
        clusters = [ClusterOut(name=g[0], keywords=g, description=_describe_cluster(g, volumes)) for g in groups]
        return ClusterResult(clusters=clusters, usage=_usage(MODEL_CLUSTER, started))

    def generate_ideas(self, cluster: ClusterInfo, site: SiteInfo) -> IdeasResult:
        """One idea for a cluster of up to 5 keywords, two (different structures) for larger ones.

        Both ideas share the cluster's highest-volume keyword as primary keyword and cover every
        keyword; the second takes a different angle and is shorter (80% of the first's length).
        """
        started = time.perf_counter()
        seen: set[str] = set()
        keywords = []
        for kw in sorted(cluster.keywords, key=lambda k: _rank(k.keyword, k.volume)):
            text = kw.keyword
            if text.strip() and text not in seen:
                seen.add(text)
                keywords.append(KeywordInfo(id=kw.id, keyword=text, volume=kw.volume, intent=kw.intent))
        if not keywords:
            raise AIError("the cluster has no keywords")
        structures = rank_structures(keywords)
        target = target_words(keywords)
        ideas = [plan_idea(keywords, structures[0], target, site)]
        if len(keywords) > IDEA_SPLIT:
            second = max(MIN_WORDS, int(round(target * 0.8 / 50.0)) * 50)
            ideas.append(plan_idea(keywords, structures[1], second, site))
        return IdeasResult(ideas=ideas, usage=_usage(MODEL_IDEAS, started))

    def generate_content(self, task: TaskInfo, site: SiteInfo) -> ArticleResult:
        """An HTML article written from ``task``'s outline (no H1: the page supplies it)."""
        started = time.perf_counter()
        article = write_article(task, site)
        return ArticleResult(article=article, usage=_usage(MODEL_WRITER, started))

    def generate_image_prompts(self, content: ContentInfo, in_article: int, site: SiteInfo) -> ImagePromptsResult:
        """A featured prompt at position 0 and ``in_article`` prompts at 1..n, from the title and headings."""
        started = time.perf_counter()
        prompts = image_prompts(content, in_article)
        return ImagePromptsResult(prompts=prompts, usage=_usage(MODEL_PROMPTS, started))

    def generate_image(self, prompt: str, size: str) -> ImageResult:
        """A PNG abstract illustration seeded from ``prompt`` at ``size`` ("WIDTHxHEIGHT", 256-2048 a side)."""
        started = time.perf_counter()
        if not (prompt or "").strip():
            raise AIError("the image prompt is empty")
        width, height = parse_size(size)
        data = draw_illustration(prompt, width, height)
        image = ImageOut(data=data, mime="image/png", width=width, height=height)
        return ImageResult(image=image, usage=_usage(MODEL_IMAGE, started))
