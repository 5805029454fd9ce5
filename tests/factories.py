"""Builders of Planner/Writer objects for tests that need them without running the engine."""

from __future__ import annotations

from igny8.extensions import db
from igny8.models import Cluster, Content, ContentIdea, Image, Keyword, Task


def build_pipeline(account_id: int, site_id: int, status: str = "review") -> dict:
    """One of each object, linked like the engine links them; returns their ids."""
    common = {"account_id": account_id, "site_id": site_id}
    cluster = Cluster(name="sump pumps", status="mapped", keyword_count=2, total_volume=300,
                      provider="offline", model="lexical-v1", **common)
    db.session.add(cluster)
    db.session.flush()
    for word, volume in (("sump pump", 200), ("best sump pump", 100)):
        db.session.add(Keyword(keyword=word, keyword_key=word, volume=volume, status="mapped",
                               cluster_id=cluster.id, **common))
    idea = ContentIdea(cluster_id=cluster.id, title="Sump pumps explained", primary_keyword="sump pump",
                       outline=[{"heading": "What is a sump pump", "keywords": ["sump pump"], "word_budget": 300}],
                       target_words=300, status="completed", provider="offline", model="lexical-v1", **common)
    db.session.add(idea)
    db.session.flush()
    task = Task(idea_id=idea.id, cluster_id=cluster.id, title=idea.title, primary_keyword="sump pump",
                keywords=["sump pump"], target_words=300, status="completed", **common)
    db.session.add(task)
    db.session.flush()
    content = Content(task_id=task.id, title=idea.title, meta_title="Sump pumps", meta_description="All about",
                      primary_keyword="sump pump", html="<h2>What</h2><p>Text</p>", word_count=2,
                      status=status, provider="offline", model="writer-v1", **common)
    db.session.add(content)
    db.session.flush()
    image = Image(content_id=content.id, kind="featured", position=0, prompt="a sump pump", status="pending",
                  **common)
    db.session.add(image)
    db.session.commit()
    return {"cluster": cluster.id, "idea": idea.id, "task": task.id, "content": content.id, "image": image.id}
