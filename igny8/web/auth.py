"""Sign up, log in, log out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from igny8.extensions import limiter
from igny8.services.accounts import AccountError, create_account, find_user
from igny8.services.passwords import verify_password
from igny8.web import bp


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class SignupForm(FlaskForm):
    """A new account and its first user."""

    name = StringField("Company or team name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Length(min=3, max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8, max=1024)])
    confirm = PasswordField("Repeat password", validators=[EqualTo("password", "Passwords differ")])


def _safe_next(target: str | None) -> str:
    """Only same-site redirects after login (no open redirect)."""
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("web.index")


def _start_session(user) -> None:
    """Log ``user`` in on a fresh session: nothing from the anonymous session survives."""
    session.clear()
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def login():
    """The login page."""
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        if user is not None and verify_password(user.password_hash, form.password.data):
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("Wrong email or password")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def signup():
    """Create an account with the configured starting balance."""
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = create_account(
                form.name.data, form.email.data, form.password.data, current_app.config["SIGNUP_CREDITS"]
            )
        except AccountError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            _start_session(user)
            flash("Welcome! Create your first site to get started.")
            return redirect(url_for("web.index"))
    return render_template("auth/signup.html", form=form), 200 if request.method == "GET" else 400


@bp.post("/logout")
@login_required
def logout():
    """Log out (POST with CSRF: no state change on GET)."""
    logout_user()
    session.clear()
    return redirect(url_for("web.login"))
