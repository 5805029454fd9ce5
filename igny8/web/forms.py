"""WTForms classes of the pages (CSRF comes with FlaskForm).

The automation config form only types the input; its rules are the API's ``ConfigUpdate``
pydantic model, applied in ``automation.py``, so the page and the API can never disagree.
"""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$", re.I)


def timezone_names() -> list[str]:
    """IANA zone names for the time zone pickers, sorted."""
    return sorted(available_timezones())


def _iana(form, field) -> None:
    """IANA time zone names only."""
    if field.data and field.data not in available_timezones():
        raise ValidationError("Unknown time zone (use an IANA name such as Europe/London)")


def clean_domain(value: str | None) -> str | None:
    """``https://www.Example.com/blog`` → ``www.example.com``; empty → None."""
    text = (value or "").strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/")[0].split("?")[0].rstrip(".")
    return text or None


def _domain(form, field) -> None:
    """A bare host name (scheme and path are stripped before the check)."""
    host = clean_domain(field.data)
    if host and not HOSTNAME.match(host):
        raise ValidationError("Enter a domain such as example.com")


class SiteForm(FlaskForm):
    """A new site."""

    name = StringField("Site name", validators=[DataRequired(), Length(max=200)])
    domain = StringField("Domain", validators=[Optional(), Length(max=253), _domain],
                         description="Without https://, e.g. example.com")
    timezone = StringField("Time zone", default="UTC", validators=[DataRequired(), Length(max=64), _iana])


class ConfigForm(FlaskForm):
    """The automation config of a site; ranges are checked by ``ConfigUpdate``."""

    is_enabled = BooleanField("Run on a schedule")
    frequency = SelectField("Frequency", validate_choice=False, choices=[
        SelectChoice("daily", "Daily"), SelectChoice("weekly", "Weekly"), SelectChoice("monthly", "Monthly")])
    scheduled_time = StringField("Time of day (HH:MM)", validators=[InputRequired()])
    timezone = StringField("Time zone", validators=[InputRequired()])
    stage_1_batch_size = IntegerField("Stage 1 batch (keywords)", validators=[InputRequired()])
    stage_2_batch_size = IntegerField("Stage 2 batch (clusters)", validators=[InputRequired()])
    stage_3_batch_size = IntegerField("Stage 3 batch (ideas)", validators=[InputRequired()])
    stage_4_batch_size = IntegerField("Stage 4 batch (tasks)", validators=[InputRequired()])
    stage_5_batch_size = IntegerField("Stage 5 batch (articles)", validators=[InputRequired()])
    stage_6_batch_size = IntegerField("Stage 6 batch (images)", validators=[InputRequired()])
    within_stage_delay = IntegerField("Delay between batches (s)", validators=[InputRequired()])
    between_stage_delay = IntegerField("Delay between stages (s)", validators=[InputRequired()])
    ai_concurrency = IntegerField("AI calls at once", validators=[InputRequired()])


class ImportForm(FlaskForm):
    """A keyword export to upload."""

    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload")])


class PasteForm(FlaskForm):
    """Keywords pasted one per line."""

    keywords = TextAreaField("Keywords, one per line", validators=[DataRequired("Paste at least one keyword")],
                             description="Optionally keyword⇥volume, as copied from two spreadsheet columns")


class RejectForm(FlaskForm):
    """Why a reviewer rejects an article."""

    reason = TextAreaField("Reason for rejecting", validators=[DataRequired("Say why, so the writer can fix it"),
                                                               Length(max=2000)])


class TokenForm(FlaskForm):
    """A new API token."""

    name = StringField("Token name", default="api", validators=[DataRequired(), Length(max=100)],
                       description="Where it will be used, e.g. “reporting script”")
