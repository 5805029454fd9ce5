"""Model → JSON dictionaries for the API (pages render the models directly)."""

from __future__ import annotations

from igny8.models import ApiToken, Cluster, Content, ContentIdea, Image, Keyword, Site, Task
from igny8.models.base import isoformat


def site_json(site: Site) -> dict:
    """A site."""
    return {
        "id": site.id, "name": site.name, "domain": site.domain, "timezone": site.timezone,
        "created_at": isoformat(site.created_at),
    }


def keyword_json(kw: Keyword) -> dict:
    """A keyword with its metrics."""
    return {
        "id": kw.id, "site_id": kw.site_id, "keyword": kw.keyword, "volume": kw.volume,
        "difficulty": kw.difficulty, "cpc": kw.cpc, "intent": kw.intent, "status": kw.status,
        "cluster_id": kw.cluster_id, "disabled": kw.disabled, "error": kw.error,
        "created_at": isoformat(kw.created_at),
    }


def cluster_json(cluster: Cluster) -> dict:
    """A cluster (without its keywords)."""
    return {
        "id": cluster.id, "site_id": cluster.site_id, "name": cluster.name,
        "description": cluster.description, "status": cluster.status, "disabled": cluster.disabled,
        "keyword_count": cluster.keyword_count, "total_volume": cluster.total_volume,
        "provider": cluster.provider, "model": cluster.model, "error": cluster.error,
        "created_at": isoformat(cluster.created_at),
    }


def idea_json(idea: ContentIdea) -> dict:
    """An idea with its stored outline."""
    return {
        "id": idea.id, "site_id": idea.site_id, "cluster_id": idea.cluster_id, "title": idea.title,
        "description": idea.description, "content_structure": idea.content_structure,
        "content_type": idea.content_type, "primary_keyword": idea.primary_keyword,
        "outline": idea.outline, "target_words": idea.target_words, "status": idea.status,
        "provider": idea.provider, "model": idea.model, "error": idea.error,
        "created_at": isoformat(idea.created_at),
    }


def task_json(task: Task) -> dict:
    """A writing task."""
    return {
        "id": task.id, "site_id": task.site_id, "idea_id": task.idea_id, "cluster_id": task.cluster_id,
        "title": task.title, "primary_keyword": task.primary_keyword, "keywords": task.keywords,
        "target_words": task.target_words, "status": task.status, "error": task.error,
        "created_at": isoformat(task.created_at),
    }


def image_json(image: Image) -> dict:
    """An image slot: prompt, status and, once generated, its URL."""
    url = f"/media/{image.file_path}" if image.file_path else None
    return {
        "id": image.id, "site_id": image.site_id, "content_id": image.content_id, "kind": image.kind,
        "position": image.position, "prompt": image.prompt, "alt_text": image.alt_text,
        "status": image.status, "url": url, "width": image.width, "height": image.height,
        "provider": image.provider, "model": image.model, "error": image.error,
        "created_at": isoformat(image.created_at),
    }


def content_json(content: Content, images: list[Image] | None = None) -> dict:
    """An article; ``images`` included for the detail view, the HTML only there too."""
    data = {
        "id": content.id, "site_id": content.site_id, "task_id": content.task_id, "title": content.title,
        "meta_title": content.meta_title, "meta_description": content.meta_description,
        "primary_keyword": content.primary_keyword, "secondary_keywords": content.secondary_keywords,
        "word_count": content.word_count, "status": content.status,
        "reject_reason": content.reject_reason, "reviewed_at": isoformat(content.reviewed_at),
        "provider": content.provider, "model": content.model, "error": content.error,
        "created_at": isoformat(content.created_at),
    }
    if images is not None:
        data["html"] = content.html
        data["images"] = [image_json(i) for i in images]
    return data


def token_json(token: ApiToken) -> dict:
    """A token's metadata (never its secret)."""
    return {
        "id": token.id, "name": token.name, "prefix": token.prefix,
        "created_at": isoformat(token.created_at), "last_used_at": isoformat(token.last_used_at),
        "revoked_at": isoformat(token.revoked_at),
    }
