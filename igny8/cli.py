"""Flask CLI: bootstrap commands of API.md, plus the worker and scheduler processes."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

import click
from flask import Flask
from sqlalchemy import func, select

from igny8.extensions import db


def _emit(payload: dict) -> None:
    """Print one JSON line (scripts parse it)."""
    click.echo(json.dumps(payload))


def _user_or_fail(email: str):
    from igny8.services.accounts import find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}")
    return user


def _credits(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a number") from None
    if amount < 0 or not amount.is_finite():
        raise click.BadParameter("must be zero or more")
    return amount


def register_cli(app: Flask) -> None:
    """Attach the commands to ``app.cli``."""

    @app.cli.command("create-account")
    @click.option("--name", required=True)
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    @click.option("--credits", "credits_", default="0", help="Starting credit balance.")
    def create_account_cmd(name, email, password, credits_):
        """Create an account with its first user."""
        from igny8.services.accounts import AccountError, create_account

        try:
            user = create_account(name, email, password, _credits(credits_))
        except AccountError as exc:
            raise click.ClickException(exc.message) from None
        _emit({"account_id": user.account_id, "user_id": user.id})

    @app.cli.command("create-site")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--domain", default=None)
    def create_site_cmd(email, name, domain):
        """Create a site in the account of EMAIL."""
        from igny8.services.accounts import create_site

        site = create_site(_user_or_fail(email).account_id, name, domain)
        _emit({"site_id": site.id})

    @app.cli.command("create-token")
    @click.option("--email", required=True)
    @click.option("--name", default="cli")
    def create_token_cmd(email, name):
        """Create an API token for EMAIL (shown once)."""
        from igny8.auth.tokens import create_token

        _, secret = create_token(_user_or_fail(email), name)
        db.session.commit()
        _emit({"token": secret})

    @app.cli.command("add-credits")
    @click.option("--email", required=True)
    @click.option("--amount", required=True)
    def add_credits_cmd(email, amount):
        """Top up the account of EMAIL (one ledger row)."""
        from igny8.services.accounts import AccountError, add_credits

        user = _user_or_fail(email)
        try:
            row = add_credits(user.account_id, _credits(amount), note="CLI top-up")
        except AccountError as exc:
            raise click.ClickException(exc.message) from None
        _emit({"account_id": user.account_id, "balance": str(row.balance_after)})

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when any account exists.")
    def seed_demo_cmd(if_empty):
        """A demo account (printed login), a site and a real Semrush keyword export."""
        from igny8.demo import seed_demo
        from igny8.models import Account

        if if_empty and db.session.scalar(select(func.count()).select_from(Account)):
            click.echo("Database already has accounts; demo not seeded.")
            return
        _emit(seed_demo())

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
    @click.option("--name", default=None)
    def worker_cmd(burst, name):
        """Run an RQ worker on every queue, with the app context."""
        from jobs.worker import run_worker

        run_worker(burst=burst, name=name)

    @app.cli.command("scheduler")
    @click.option("--interval", default=10, show_default=True, help="Seconds between polls.")
    def scheduler_cmd(interval):
        """Register the periodic jobs idempotently, then run rq-scheduler."""
        from jobs.scheduler import run_scheduler

        run_scheduler(interval=interval)
