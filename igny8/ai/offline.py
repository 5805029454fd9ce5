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
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from igny8.ai.base import (
    AIError,
    AIUsage,
    ClusterInfo,
    ClusterOut,
    ClusterResult,
    ContentInfo,
    IdeasResult,
    ImagePromptsResult,
    ImageResult,
    KeywordInfo,
    SiteInfo,
    TaskInfo,
)
from igny8.ai.text import cluster_tokens

__all__ = ["OfflineProvider", "cluster_items"]

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
        self.df = Counter(t for item in items for t in item.sig)
        floor = max(BACKGROUND_MIN, BACKGROUND_SHARE * len(items))
        self.background = frozenset(t for t, c in self.df.items() if c >= floor)

    def _branch_key(self, token: str, count: int) -> tuple[int, int, str]:
        """Priority of a stem as the next branch of a keyword (largest wins; the stem breaks ties)."""
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
    ordered = [sorted(c, key=lambda m: m.rank) for c in clusters]
    ordered.sort(key=lambda c: (-sum(m.volume for m in c), c[0].rank))
    return [[m.text for m in c] for c in ordered]


def _describe_cluster(texts: Sequence[str], volumes: dict[str, int]) -> str:
    """The short description of a cluster."""
    total = sum(volumes.get(t, 0) for t in texts)
    return f"{len(texts)} keywords around '{texts[0]}', total volume {total:,}"


class OfflineProvider:
    """The built-in provider used when no OpenAI key is configured (text and images)."""

    name = PROVIDER

    def cluster_keywords(self, keywords: list[KeywordInfo], site: SiteInfo) -> ClusterResult:
        """Group ``keywords`` into lexical clusters of 3-10, each named after its highest-volume keyword."""
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
        """Article ideas with outlines for ``cluster``."""
        raise NotImplementedError

    def generate_content(self, task: TaskInfo, site: SiteInfo):
        """An article written from ``task``'s outline."""
        raise NotImplementedError

    def generate_image_prompts(self, content: ContentInfo, in_article: int, site: SiteInfo) -> ImagePromptsResult:
        """Image prompts for ``content``."""
        raise NotImplementedError

    def generate_image(self, prompt: str, size: str) -> ImageResult:
        """An image for ``prompt``."""
        raise NotImplementedError
