"""AI providers: which one serves an account, built per job after the worker forks."""

from __future__ import annotations


def text_provider_for(account_id: int):
    """The text provider of an account (the offline provider until a key is configured)."""
    from igny8.ai.offline import OfflineProvider

    return OfflineProvider()


def image_provider_for(account_id: int):
    """The image provider of an account."""
    from igny8.ai.offline import OfflineProvider

    return OfflineProvider()


def provider_label(account_id: int) -> str:
    """A short label for the UI and API: which provider runs this account's pipeline."""
    return "offline"
