"""Stage 1 — Keywords → Clusters (AI)."""

from __future__ import annotations

from sqlalchemy import select, update

from igny8.ai.base import KeywordInfo
from igny8.automation import credits
from igny8.automation.context import Conflict
from igny8.automation.stages.base import Stage, WorkItem
from igny8.extensions import db
from igny8.models import Cluster, Keyword
from igny8.services.keywords import keyword_key

MIN_KEYWORDS = 5
LEFT_OUT = "not grouped into a cluster in this run"


class ClusterStage(Stage):
    """Groups new keywords into clusters; keywords the model leaves out stay pending."""

    number, name, kind, model = 1, "Keywords → Clusters", "ai", Keyword
    result_fields = ("keywords_processed", "clusters_created", "batches_run", "credits_used", "skipped",
                     "partial", "time_elapsed")
    batch_field = "stage_1_batch_size"

    def pending_query(self, site_id):
        """Keywords: status new, no cluster, not disabled."""
        return select(Keyword).where(Keyword.site_id == site_id, Keyword.status == "new",
                                     Keyword.cluster_id.is_(None), Keyword.disabled.is_(False))

    def initial_result(self) -> dict:
        """Counters, with the flags false."""
        return {**super().initial_result(), "skipped": False, "partial": False}

    def run(self, ctx) -> None:
        """Skip with a reason when fewer than five keywords are pending."""
        pending = self.pending_count(ctx.site_id)
        if pending < MIN_KEYWORDS and not (ctx.results.get(1) or {}).get("batches_run"):
            result = {**self.initial_result(), "skipped": True,
                      "reason": f"{pending} pending keywords; clustering needs at least {MIN_KEYWORDS}"}
            ctx.results[1] = result
            ctx.flush_processing(1)
            ctx.log(f"Skipped: {result['reason']}", 1)
            return
        super().run(ctx)

    def next_batch(self, ctx) -> list[WorkItem]:
        """``ai_concurrency`` chunks of ``stage_1_batch_size`` keywords, similar words together."""
        size = self.batch_size(ctx)
        chunks = max(1, int(ctx.config.get("ai_concurrency", 4)))
        limit = size * chunks
        # Look a little past the batch: a tail too small to cluster rides with the last chunk.
        rows = db.session.scalars(
            self.runnable_query(ctx).order_by(Keyword.keyword_key).limit(limit + MIN_KEYWORDS)
        ).all()
        db.session.commit()
        if len(rows) >= limit + MIN_KEYWORDS:
            rows = rows[:limit]
        rows = [r for r in rows if (1, r.id) not in ctx.attempted]
        bounds = list(range(0, len(rows), size))
        if len(bounds) > 1 and len(rows) - bounds[-1] < MIN_KEYWORDS:
            bounds.pop()
        items = []
        for index, start in enumerate(bounds):
            chunk = rows[start:bounds[index + 1] if index + 1 < len(bounds) else len(rows)]
            infos = [KeywordInfo(r.id, r.keyword, r.volume, r.intent) for r in chunk]
            ids = sorted(r.id for r in chunk)
            items.append(WorkItem(key=f"keywords:{ids[0]}-{ids[-1]}:{len(ids)}",
                                  label=f"{len(ids)} keywords from '{chunk[0].keyword}'", ids=ids, payload=infos))
        return items

    def call(self, item, ctx):
        """Ask the provider to cluster one chunk."""
        return ctx.text_provider.cluster_keywords(item.payload, ctx.site)

    def save(self, item, answer, ctx, result) -> object:
        """Clusters of known keywords only; invented ones dropped; left-out ones stay pending."""
        by_key = {keyword_key(k.keyword): k for k in item.payload}
        used: set[int] = set()
        created = 0
        for proposed in answer.clusters:
            members = []
            for text in proposed.keywords:
                known = by_key.get(keyword_key(str(text)))
                if known is not None and known.id not in used:
                    used.add(known.id)
                    members.append(known)
            if not members:
                continue  # a cluster of invented keywords only
            head = max(members, key=lambda k: (k.volume or 0, -len(k.keyword)))
            name = (str(proposed.name).strip() or head.keyword)[:255]
            cluster = Cluster(
                account_id=ctx.account_id, site_id=ctx.site_id, name=name,
                description=(proposed.description or "")[:2000], status="new",
                keyword_count=len(members), total_volume=sum(k.volume or 0 for k in members),
                provider=answer.usage.provider, model=answer.usage.model,
            )
            db.session.add(cluster)
            db.session.flush()
            mapped = db.session.execute(
                update(Keyword)
                .where(Keyword.id.in_([k.id for k in members]), Keyword.cluster_id.is_(None),
                       Keyword.status == "new")
                .values(cluster_id=cluster.id, status="mapped", error=None, last_attempt_run_id=ctx.run_pk)
            ).rowcount
            if mapped != len(members):
                raise Conflict("a keyword of this chunk was clustered elsewhere")
            created += 1
        left_out = [k.id for k in item.payload if k.id not in used]
        if left_out:
            db.session.execute(update(Keyword).where(Keyword.id.in_(left_out))
                               .values(last_attempt_run_id=ctx.run_pk, error=LEFT_OUT))
            ctx.attempted.update((1, i) for i in left_out)
            result["partial"] = True
        result["keywords_processed"] = result.get("keywords_processed", 0) + len(item.payload)
        result["clusters_created"] = result.get("clusters_created", 0) + created
        amount = credits.usage_cost(answer.usage, credits.costs()["clustering_per_keyword"] * len(used)) if used else 0
        return credits.charge(
            ctx.account_id, amount, self.idempotency_key(ctx, item), operation="clustering",
            run_pk=ctx.run_pk, site_id=ctx.site_id, stage=1, object_type="keyword_batch",
            object_id=item.ids[0], usage=answer.usage, note=f"{len(used)} keywords clustered",
        )
