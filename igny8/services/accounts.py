"""Accounts, users, sites and credits — the operations shared by the CLI, API and pages."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select, update

from igny8.extensions import db
from igny8.models import Account, CreditTransaction, Site, User
from igny8.services.passwords import hash_password


class AccountError(ValueError):
    """A request the account services refuse, with a field for the message."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """The user with ``email``, if any."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def create_account(name: str, email: str, password: str, credits: Decimal | int = 0) -> User:
    """Create an account with its first user; starting credits go through the ledger."""
    email = normalize_email(email)
    if find_user(email) is not None:
        raise AccountError("email", "An account with this email already exists")
    if len(password) < 8:
        raise AccountError("password", "Password must be at least 8 characters")
    account = Account(name=name.strip() or email, credit_balance=Decimal(0))
    db.session.add(account)
    db.session.flush()
    user = User(account_id=account.id, email=email, name=name, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    if credits:
        add_credits(account.id, Decimal(credits), operation="signup_grant", commit=False)
    db.session.commit()
    return user


def add_credits(
    account_id: int, amount: Decimal, operation: str = "top_up", note: str | None = None,
    commit: bool = True,
) -> CreditTransaction:
    """Top up an account: one ledger row and the balance change in one transaction."""
    amount = Decimal(amount)
    if amount <= 0:
        raise AccountError("amount", "Amount must be positive")
    # One UPDATE ... RETURNING keeps concurrent top-ups and charges from losing updates.
    balance = db.session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(credit_balance=Account.credit_balance + amount)
        .returning(Account.credit_balance)
    ).scalar_one()
    row = CreditTransaction(
        account_id=account_id, amount=amount, balance_after=balance, operation=operation,
        idempotency_key=f"{operation}:{uuid.uuid4()}", note=note,
    )
    db.session.add(row)
    if commit:
        db.session.commit()
    return row


def create_site(account_id: int, name: str, domain: str | None = None, timezone: str = "UTC") -> Site:
    """A new site in the account."""
    site = Site(account_id=account_id, name=name, domain=domain, timezone=timezone)
    db.session.add(site)
    db.session.commit()
    return site


def list_sites(account_id: int) -> list[Site]:
    """The account's sites, oldest first."""
    return list(db.session.scalars(select(Site).where(Site.account_id == account_id).order_by(Site.id)))
