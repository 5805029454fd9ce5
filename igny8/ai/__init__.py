"""AI providers: which one serves an account, built per job after the worker forks."""

from __future__ import annotations


def text_provider_for(account_id: int):
    """The account's text provider: OpenAI (or compatible) when a key is configured, else offline."""
    from igny8.services.integrations import effective

    settings = effective(account_id)
    if settings.provider == "openai":
        from igny8.ai.openai_provider import OpenAIProvider

        return OpenAIProvider(settings)
    from igny8.ai.offline import OfflineProvider

    return OfflineProvider()


def image_provider_for(account_id: int):
    """The account's image provider: OpenAI images, Runware, or the offline Pillow drawer."""
    from igny8.services.integrations import effective

    settings = effective(account_id)
    if settings.image_provider == "openai":
        from igny8.ai.openai_provider import OpenAIProvider

        return OpenAIProvider(settings)
    if settings.image_provider == "runware":
        from igny8.ai.openai_provider import RunwareImages

        return RunwareImages(settings)
    from igny8.ai.offline import OfflineProvider

    return OfflineProvider()
