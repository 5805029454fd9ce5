"""Stage 2 — Clusters → Ideas (AI)."""

from __future__ import annotations

from sqlalchemy import exists, select

from igny8.ai.base import AIError, ClusterInfo, KeywordInfo
from igny8.automation import credits
from igny8.automation.context import Conflict
from igny8.automation.stages.base import Stage, WorkItem
from igny8.extensions import db
from igny8.models import Cluster, ContentIdea, Keyword

STRUCTURES = ("guide", "how_to", "listicle", "comparison", "faq", "review")


class IdeasStage(Stage):
    """One call per cluster: article ideas, each with its outline stored."""

    number, name, kind, model = 2, "Clusters → Ideas", "ai", Cluster
    result_fields = ("clusters_processed", "ideas_created", "batches_run", "credits_used")
    batch_field = "stage_2_batch_size"

    def pending_query(self, site_id):
        """Clusters: status new, not disabled, with no ideas."""
        has_ideas = exists().where(ContentIdea.cluster_id == Cluster.id)
        return select(Cluster).where(Cluster.site_id == site_id, Cluster.status == "new",
                                     Cluster.disabled.is_(False), ~has_ideas)

    def work_item(self, row, ctx) -> WorkItem:
        """The cluster with its keywords, highest volume first."""
        keywords = db.session.scalars(
            select(Keyword).where(Keyword.cluster_id == row.id).order_by(Keyword.volume.desc().nulls_last(),
                                                                         Keyword.id)
        ).all()
        info = ClusterInfo(row.id, row.name, row.description or "",
                           [KeywordInfo(k.id, k.keyword, k.volume, k.intent) for k in keywords])
        return WorkItem(key=f"cluster:{row.id}", label=f"cluster '{row.name}'", ids=[row.id], payload=info)

    def call(self, item, ctx):
        """Ask the provider for ideas."""
        return ctx.text_provider.generate_ideas(item.payload, ctx.site)

    def save(self, item, answer, ctx, result):
        """Valid ideas become rows; the cluster is mapped; one charge per cluster."""
        ideas = [idea for idea in answer.ideas if idea.outline and idea.title.strip()]
        if not ideas:
            raise AIError("the model returned no idea with a title and an outline")
        cluster = db.session.get(Cluster, item.ids[0])
        if cluster is None or cluster.status != "new":
            raise Conflict("cluster already processed")
        for idea in ideas:
            outline = [{"heading": s.heading.strip()[:255], "keywords": [str(k) for k in s.keywords][:20],
                        "word_budget": max(50, int(s.word_budget))} for s in idea.outline if s.heading.strip()]
            db.session.add(ContentIdea(
                account_id=ctx.account_id, site_id=ctx.site_id, cluster_id=cluster.id,
                title=idea.title.strip()[:255], description=(idea.description or "")[:4000],
                content_structure=idea.content_structure if idea.content_structure in STRUCTURES else "guide",
                content_type=(idea.content_type or "post")[:40], primary_keyword=idea.primary_keyword[:200],
                outline=outline, target_words=sum(s["word_budget"] for s in outline), status="new",
                provider=answer.usage.provider, model=answer.usage.model,
            ))
        cluster.status = "mapped"
        cluster.error = None
        cluster.last_attempt_run_id = ctx.run_pk
        result["clusters_processed"] = result.get("clusters_processed", 0) + 1
        result["ideas_created"] = result.get("ideas_created", 0) + len(ideas)
        return credits.charge(
            ctx.account_id, credits.usage_cost(answer.usage, credits.costs()["ideas_per_cluster"]),
            self.idempotency_key(ctx, item),
            operation="ideas", run_pk=ctx.run_pk, site_id=ctx.site_id, stage=2, object_type="cluster",
            object_id=cluster.id, usage=answer.usage, note=f"{len(ideas)} ideas",
        )
