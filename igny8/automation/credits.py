"""Credits: the cost table, the pre-run estimate and the per-item charge.

Defaults and their reasoning (README "Credits"): a credit is priced for a human to reason
about — roughly one credit per 100 words of finished writing.

* clustering: 0.2 per keyword clustered — one model call handles ~50 keywords at once.
* ideas: 2 per cluster — one call, one to two ideas with full outlines.
* content: 1 per 100 words written — the expensive step, priced by length.
* image prompts: 1 per content — a short call.
* images: 2 per image — image models cost more per call than text.

When the provider reports token usage (OpenAI and compatible servers), a text call is charged
by its real usage instead: 1.5 credits per 1,000 prompt tokens and 7.5 per 1,000 completion
tokens — about the same as the table above for typical calls (100 words ≈ 133 tokens).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import func, select, update

from igny8.extensions import db
from igny8.models import Account, CreditTransaction, Task
from igny8.models.base import ZERO

DEFAULT_COSTS = {
    "clustering_per_keyword": Decimal("0.2"),
    "ideas_per_cluster": Decimal("2"),
    "content_per_100_words": Decimal("1"),
    "image_prompts_per_content": Decimal("1"),
    "image_per_image": Decimal("2"),
    "per_1k_input_tokens": Decimal("1.5"),
    "per_1k_output_tokens": Decimal("7.5"),
}

# Projections for items that do not exist yet when the estimate is made.
PROJECTION = {
    "keywords_per_cluster": 6,
    "ideas_per_cluster": Decimal("1.5"),
    "words_per_article": 1200,
    "images_per_content": 3,
}

# run_now needs this multiple of the estimate in the balance.
SAFETY_FACTOR = Decimal("1.2")
CENT = Decimal("0.0001")


class InsufficientCredits(Exception):
    """The balance cannot pay for an item."""

    def __init__(self, needed: Decimal, balance: Decimal):
        super().__init__(f"Insufficient credits: {needed} needed, balance {balance}")
        self.needed = needed
        self.balance = balance


def costs() -> dict[str, Decimal]:
    """The cost table in force (``CREDIT_COSTS`` in the config overrides the defaults)."""
    table = dict(DEFAULT_COSTS)
    for name, value in (current_app.config.get("CREDIT_COSTS") or {}).items():
        if name in table:
            table[name] = Decimal(str(value))
    return table


def quantize(amount: Decimal) -> Decimal:
    """Amounts are stored with four decimals."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def content_cost(words: int) -> Decimal:
    """What an article of ``words`` words costs."""
    return quantize(costs()["content_per_100_words"] * Decimal(words) / 100)


def usage_cost(usage, fallback: Decimal) -> Decimal:
    """The price of one AI call: by its tokens when the provider reported them, else ``fallback``."""
    if usage is None or usage.tokens_in is None or usage.tokens_out is None:
        return quantize(fallback)
    table = costs()
    return quantize(table["per_1k_input_tokens"] * usage.tokens_in / 1000
                    + table["per_1k_output_tokens"] * usage.tokens_out / 1000)


def charge(
    account_id: int, amount: Decimal, key: str, *, operation: str, run_pk: int | None = None,
    site_id: int | None = None, stage: int | None = None, object_type: str | None = None,
    object_id: int | None = None, usage=None, note: str | None = None,
) -> Decimal:
    """Debit ``amount`` inside the caller's transaction; returns the amount charged.

    The conditional UPDATE makes the balance check and the debit one atomic step, so two
    workers can never drive a balance negative. The caller commits or rolls back.
    """
    amount = quantize(amount)
    if amount <= 0:
        return ZERO
    balance = db.session.execute(
        update(Account)
        .where(Account.id == account_id, Account.credit_balance >= amount)
        .values(credit_balance=Account.credit_balance - amount)
        .returning(Account.credit_balance)
    ).scalar_one_or_none()
    if balance is None:
        current = db.session.scalar(select(Account.credit_balance).where(Account.id == account_id))
        raise InsufficientCredits(amount, current or ZERO)
    db.session.add(CreditTransaction(
        account_id=account_id, amount=-amount, balance_after=balance, operation=operation,
        idempotency_key=key, run_id=run_pk, site_id=site_id, stage=stage, object_type=object_type,
        object_id=object_id, note=note,
        provider=getattr(usage, "provider", None), model=getattr(usage, "model", None),
        tokens_in=getattr(usage, "tokens_in", None), tokens_out=getattr(usage, "tokens_out", None),
        request_id=getattr(usage, "request_id", None), latency_ms=getattr(usage, "latency_ms", None),
    ))
    return amount


def estimate(site_id: int) -> dict:
    """Credits a full run would need now: pending items plus projected downstream items."""
    from igny8.automation.stages import pending_count

    table = costs()
    p = PROJECTION
    # One count query per stage: the page polls this while idle.
    pending = {n: pending_count(n, site_id) for n in range(1, 7)}
    keywords = pending[1]
    clusters_new = math.ceil(keywords / p["keywords_per_cluster"]) if keywords >= 5 else 0
    clusters = pending[2] + clusters_new
    ideas_new = math.ceil(clusters * p["ideas_per_cluster"])
    ideas = pending[3] + ideas_new
    queued_words = db.session.scalar(
        select(func.coalesce(func.sum(Task.target_words), 0)).where(Task.site_id == site_id, Task.status == "queued")
    )
    words = int(queued_words) + ideas * p["words_per_article"]
    contents = pending[4] + ideas + pending[5]
    images = pending[6] + contents * p["images_per_content"]
    breakdown = [
        _line(1, pending[1], keywords, table["clustering_per_keyword"], "keywords"),
        _line(2, pending[2], clusters, table["ideas_per_cluster"], "clusters"),
        _line(3, pending[3], ideas, ZERO, "ideas"),
        _line(4, pending[4], words, table["content_per_100_words"] / 100, "words"),
        _line(5, pending[5], contents, table["image_prompts_per_content"], "contents"),
        _line(6, pending[6], images, table["image_per_image"], "images"),
    ]
    total = quantize(sum((line["credits"] for line in breakdown), ZERO))
    return {"estimated_credits": total, "breakdown": breakdown}


def _line(stage: int, pending: int, units: int, rate: Decimal, unit: str) -> dict:
    return {"stage": stage, "pending": pending, "units": units, "unit": unit, "rate": quantize(rate),
            "credits": quantize(rate * units)}


def balance(account_id: int) -> Decimal:
    """The account's balance."""
    return db.session.scalar(select(Account.credit_balance).where(Account.id == account_id)) or ZERO
