"""Account settings: AI integration (``/api/v1/settings/integration``) and the credit ledger."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from pydantic import Field

from igny8.api import bp
from igny8.api.errors import validation_error
from igny8.api.lists import PageQuery, page_body
from igny8.api.validation import parse_body, parse_query
from igny8.models import CreditTransaction
from igny8.models.base import isoformat
from igny8.services import integrations
from igny8.services.inputs import NULLABLE, IntegrationUpdate
from igny8.services.ledger import ledger_query, run_public_ids
from igny8.services.pagination import paginate


class LedgerQuery(PageQuery):
    """Filters of the ledger."""

    run_id: str | None = Field(default=None, max_length=40)


@bp.get("/settings/integration")
def integration_get():
    """The account's AI settings (keys masked)."""
    return jsonify(integrations.settings_json(integrations.get_settings(current_user.account_id)))


@bp.put("/settings/integration")
def integration_update():
    """Change AI settings; invalid values → 400 with fields."""
    body = parse_body(IntegrationUpdate)
    changes = body.model_dump(exclude_unset=True)
    # null clears a key, the base URL or the image model; elsewhere it is not a value.
    nulls = {name: "may not be null" for name, value in changes.items()
             if value is None and name not in NULLABLE}
    if nulls:
        raise validation_error(nulls)
    for name in ("models", "prompt_overrides"):
        if name in changes and changes[name] is not None:
            changes[name] = {k: v for k, v in changes[name].items() if v is not None}
    try:
        row = integrations.update_settings(current_user.account_id, changes)
    except integrations.IntegrationError as exc:
        raise validation_error({exc.field: exc.message}) from None
    return jsonify(integrations.settings_json(row))


@bp.post("/settings/integration/test")
def integration_test():
    """Call the configured AI server once; reports what it supports."""
    return jsonify(integrations.test_connection(current_user.account_id))


def ledger_json(row: CreditTransaction, run_ids: dict[int, str]) -> dict:
    """One ledger row."""
    return {
        "id": row.id, "amount": row.amount, "balance_after": row.balance_after, "operation": row.operation,
        "run_id": run_ids.get(row.run_id), "site_id": row.site_id, "stage": row.stage,
        "object_type": row.object_type, "object_id": row.object_id, "provider": row.provider, "model": row.model,
        "tokens_in": row.tokens_in, "tokens_out": row.tokens_out, "request_id": row.request_id,
        "latency_ms": row.latency_ms, "note": row.note, "created_at": isoformat(row.created_at),
    }


@bp.get("/billing/ledger")
def ledger_list():
    """The account's credit ledger, newest first, optionally for one run."""
    params = parse_query(LedgerQuery)
    page = paginate(ledger_query(current_user.account_id, params.run_id), params.page, params.page_size)
    names = run_public_ids(page.items)
    return page_body(page, [ledger_json(row, names) for row in page.items])
