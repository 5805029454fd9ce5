"""The AI provider interface: four text functions and one image function.

Providers take and return plain data (no database objects), so calls can run on worker
threads while the job's own thread saves results. Every result carries an ``AIUsage``
saying which provider and model made it, with tokens and latency where known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class AIError(Exception):
    """One item's AI call failed (bad output, timeout...): that item fails, the run goes on."""

    def __init__(self, reason: str, retryable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class AIFatalError(AIError):
    """The provider cannot serve any item (invalid key, quota exhausted): pause the run."""


@dataclass
class AIUsage:
    """Who made a result and what it cost the provider."""

    provider: str
    model: str
    tokens_in: int | None = None
    tokens_out: int | None = None
    request_id: str | None = None
    latency_ms: int | None = None


@dataclass
class SiteInfo:
    """What the AI may know about the site it writes for."""

    name: str
    domain: str | None = None


@dataclass
class KeywordInfo:
    """A keyword as given to the AI."""

    id: int
    keyword: str
    volume: int | None = None
    intent: str | None = None


@dataclass
class ClusterOut:
    """One cluster proposed by the AI: ``keywords`` are keyword texts exactly as given."""

    name: str
    keywords: list[str]
    description: str = ""


@dataclass
class ClusterResult:
    """The answer to one clustering call."""

    clusters: list[ClusterOut]
    usage: AIUsage


@dataclass
class ClusterInfo:
    """A cluster as given to the idea generator (keywords highest volume first)."""

    id: int
    name: str
    description: str
    keywords: list[KeywordInfo]


@dataclass
class OutlineSection:
    """One H2 section of an article plan."""

    heading: str
    keywords: list[str]
    word_budget: int


@dataclass
class IdeaOut:
    """An article idea with its outline."""

    title: str
    description: str
    content_structure: str  # guide | how_to | listicle | comparison | review | faq
    primary_keyword: str
    outline: list[OutlineSection]
    target_words: int
    content_type: str = "post"


@dataclass
class IdeasResult:
    """The answer to one idea-generation call."""

    ideas: list[IdeaOut]
    usage: AIUsage


@dataclass
class TaskInfo:
    """What the writer gets: the idea's plan."""

    id: int
    title: str
    primary_keyword: str
    keywords: list[str]
    outline: list[OutlineSection]
    target_words: int
    content_structure: str = "guide"


@dataclass
class ArticleOut:
    """A written article."""

    title: str
    meta_title: str
    meta_description: str
    html: str
    primary_keyword: str
    secondary_keywords: list[str] = field(default_factory=list)


@dataclass
class ArticleResult:
    """The answer to one content call."""

    article: ArticleOut
    usage: AIUsage


@dataclass
class ContentInfo:
    """What the image prompter gets."""

    id: int
    title: str
    primary_keyword: str
    headings: list[str]
    summary: str = ""


@dataclass
class ImagePromptOut:
    """One image slot: the featured image (position 0) or an in-article image (1, 2, ...)."""

    kind: str  # featured | in_article
    position: int
    prompt: str
    alt_text: str


@dataclass
class ImagePromptsResult:
    """The answer to one image-prompt call."""

    prompts: list[ImagePromptOut]
    usage: AIUsage


@dataclass
class ImageOut:
    """A generated image's bytes."""

    data: bytes
    mime: str
    width: int
    height: int


@dataclass
class ImageResult:
    """The answer to one image call."""

    image: ImageOut
    usage: AIUsage


class TextProvider(Protocol):
    """The four text functions of the pipeline."""

    name: str

    def cluster_keywords(self, keywords: list[KeywordInfo], site: SiteInfo) -> ClusterResult:
        """Group related keywords into clusters of 3-10."""

    def generate_ideas(self, cluster: ClusterInfo, site: SiteInfo) -> IdeasResult:
        """One or more article ideas, each with an outline, for a cluster."""

    def generate_content(self, task: TaskInfo, site: SiteInfo) -> ArticleResult:
        """An article written from the task's outline."""

    def generate_image_prompts(self, content: ContentInfo, in_article: int, site: SiteInfo) -> ImagePromptsResult:
        """One featured prompt and ``in_article`` in-article prompts."""


class ImageProvider(Protocol):
    """Turns a prompt into an image."""

    name: str

    def generate_image(self, prompt: str, size: str) -> ImageResult:
        """One image for ``prompt`` at ``size`` (``"WIDTHxHEIGHT"``)."""
