"""Settings: the AI integration, API tokens (shown once, revocable) and the credit ledger."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from pydantic import ValidationError
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from igny8.auth.tokens import create_token, revoke_token
from igny8.extensions import db
from igny8.models import ApiToken, AutomationRun, IntegrationSettings, Site
from igny8.services import integrations
from igny8.services.inputs import IntegrationUpdate
from igny8.services.ledger import ledger_query, run_public_ids
from igny8.web import bp
from igny8.web.forms import TokenForm
from igny8.web.helpers import is_htmx, paged

FUNCTION_LABELS = {"clustering": "Clustering model", "ideas": "Ideas model", "content": "Content model",
                   "image_prompts": "Image prompts model"}


class IntegrationForm(FlaskForm):
    """The AI integration; rules are the API's ``IntegrationUpdate`` (see ``validate_integration``)."""

    provider = SelectField("Text provider", validate_choice=False, description="Automatic: OpenAI when a key is set, "
                           "else the offline provider", choices=[
                               SelectChoice("auto", "Automatic"), SelectChoice("openai", "OpenAI-compatible"),
                               SelectChoice("offline", "Offline (built in)")])
    api_key = PasswordField("API key", description="Leave empty to keep the saved key")
    clear_api_key = BooleanField("Remove the saved API key")
    base_url = StringField("Base URL", description="For OpenAI-compatible servers (llama.cpp, Ollama, vLLM); "
                                                   "empty for api.openai.com")
    model_clustering = StringField(FUNCTION_LABELS["clustering"])
    model_ideas = StringField(FUNCTION_LABELS["ideas"])
    model_content = StringField(FUNCTION_LABELS["content"])
    model_image_prompts = StringField(FUNCTION_LABELS["image_prompts"])
    image_provider = SelectField("Image provider", validate_choice=False, description="Automatic: the same as text",
                                 choices=[SelectChoice("auto", "Automatic"), SelectChoice("openai", "OpenAI"),
                                          SelectChoice("runware", "Runware"),
                                          SelectChoice("offline", "Offline (built in)")])
    image_model = StringField("Image model")
    image_size = StringField("Image size", description="WIDTHxHEIGHT, e.g. 1024x1024",
                             validators=[InputRequired()])
    runware_api_key = PasswordField("Runware API key", description="Leave empty to keep the saved key")
    clear_runware_api_key = BooleanField("Remove the saved Runware key")
    request_timeout = IntegerField("Request timeout (s)", validators=[InputRequired()])
    max_retries = IntegerField("Retries per call", validators=[InputRequired()])


def peek_settings(account_id: int) -> IntegrationSettings:
    """The saved settings, or unsaved defaults (a GET must not create rows)."""
    row = db.session.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == account_id))
    if row is None:
        from flask import current_app

        row = IntegrationSettings(account_id=account_id, provider="auto", models={}, capabilities={},
                                  prompt_overrides={}, image_size=current_app.config.get("IMAGE_SIZE", "1024x1024"),
                                  request_timeout=120, max_retries=2)
    return row


def integration_form(data: dict, formdata=None) -> IntegrationForm:
    """The form filled from ``settings_json`` (keys never go back to the browser)."""
    models = data.get("models") or {}
    initial = {
        "provider": data["provider"], "base_url": data.get("base_url") or "", "image_provider": data["image_provider"],
        "image_model": data.get("image_model") or "", "image_size": data.get("image_size") or "",
        "request_timeout": data.get("request_timeout"), "max_retries": data.get("max_retries"),
        **{f"model_{name}": models.get(name, "") for name in FUNCTION_LABELS},
    }
    return IntegrationForm(formdata=formdata, data=initial) if formdata is not None else IntegrationForm(data=initial)


def validate_integration(form: IntegrationForm) -> dict | None:
    """The changes for ``update_settings``, or None after putting the messages on the fields."""
    form.validate()
    changes: dict = {
        "provider": form.provider.data, "base_url": (form.base_url.data or "").strip(),
        "image_provider": form.image_provider.data, "image_model": (form.image_model.data or "").strip() or None,
        "image_size": (form.image_size.data or "").strip(),
        "models": {name: (getattr(form, f"model_{name}").data or "").strip() for name in FUNCTION_LABELS},
    }
    for name in ("request_timeout", "max_retries"):
        if not getattr(form, name).errors:
            changes[name] = getattr(form, name).data
    for key, clear in (("api_key", form.clear_api_key.data), ("runware_api_key", form.clear_runware_api_key.data)):
        typed = (getattr(form, key).data or "").strip()
        if clear:
            changes[key] = ""
        elif typed:
            changes[key] = typed
    try:
        IntegrationUpdate.model_validate(changes)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            name = f"model_{loc[1]}" if loc and loc[0] == "models" and len(loc) > 1 else (loc[0] if loc else "")
            target = getattr(form, name, None)
            if target is not None:
                message = err["msg"].removeprefix("Value error, ")
                target.errors = [*target.errors, message[:1].upper() + message[1:]]
    # An empty model name means "the default": update_settings drops it from the stored mapping.
    return None if form.errors else changes


def render_settings(status: int = 200, **extra):
    """The settings page with its sections."""
    account_id = current_user.account_id
    data = integrations.settings_json(peek_settings(account_id))
    runs = list(db.session.execute(
        select(AutomationRun.run_id, AutomationRun.started_at, Site.name).join(Site, Site.id == AutomationRun.site_id)
        .where(AutomationRun.account_id == account_id)
        .order_by(AutomationRun.started_at.desc(), AutomationRun.id.desc()).limit(100)).all())
    run_filter = (request.args.get("run_id") or "")[:40] or None
    pager = paged(ledger_query(account_id, run_filter))
    run_names = run_public_ids(pager.page.items)
    tokens = list(db.session.scalars(select(ApiToken).where(ApiToken.account_id == account_id)
                                     .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))
    context = {
        "integration": data, "integration_form": integration_form(data), "function_labels": FUNCTION_LABELS,
        "tokens": tokens, "token_form": TokenForm(formdata=None), "pager": pager, "runs": runs,
        "run_filter": run_filter, "run_names": run_names, "account": current_user.account, "test_result": None,
        "saved": False,
    }
    context.update(extra)
    return render_template("settings/page.html", **context), status


@bp.get("/settings")
@login_required
def settings():
    """AI integration, API tokens and the credit ledger."""
    return render_settings()


@bp.post("/settings/integration")
@login_required
def settings_integration():
    """Save the AI integration; errors come back inline."""
    data = integrations.settings_json(peek_settings(current_user.account_id))
    form = integration_form(data, request.form)
    changes = validate_integration(form)
    if changes is not None:
        try:
            integrations.update_settings(current_user.account_id, changes)
        except integrations.IntegrationError as exc:
            field = getattr(form, exc.field, None) or getattr(form, f"model_{exc.field}", None) or form.provider
            field.errors = [*field.errors, exc.message]
            db.session.rollback()
        else:
            flash("AI settings saved.", "success")
            return redirect(url_for("web.settings") + "#integration", 303)
    return render_settings(422, integration_form=form)


@bp.post("/settings/integration/test")
@login_required
def settings_integration_test():
    """Call the configured AI server once and show what happened."""
    result = integrations.test_connection(current_user.account_id)
    if is_htmx():
        return render_template("settings/_test_result.html", test_result=result)
    return render_settings(test_result=result)


@bp.post("/settings/tokens")
@login_required
def token_create():
    """Create an API token; its secret is shown on this one response and never again."""
    form = TokenForm()
    if not form.validate_on_submit():
        return render_settings(422, token_form=form)
    row, secret = create_token(current_user, form.name.data.strip())
    db.session.commit()
    # Answered directly rather than redirected: the secret must not travel through the session cookie.
    response = render_settings(201, new_token=secret, new_token_name=row.name)
    return response[0], 201, {"Cache-Control": "no-store"}


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    """Revoke one of the account's tokens."""
    if not revoke_token(current_user.account_id, token_id):
        abort(404)
    flash("Token revoked; requests using it are refused from now on.", "success")
    return redirect(url_for("web.settings") + "#tokens", 303)
