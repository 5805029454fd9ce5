"""AI providers: which one serves an account, built per job after the worker forks."""

from __future__ import annotations


def text_provider_for(settings):
    """The text provider for merged settings (``integrations.effective``): OpenAI when configured, else offline."""
    if settings.provider == "openai":
        from igny8.ai.openai_provider import OpenAIProvider

        return OpenAIProvider(settings)
    from igny8.ai.offline import OfflineProvider

    return OfflineProvider()


def image_provider_for(settings):
    """The image provider for merged settings: OpenAI images, Runware, or the offline Pillow drawer."""
    if settings.image_provider == "openai":
        from igny8.ai.openai_provider import OpenAIProvider

        return OpenAIProvider(settings)
    if settings.image_provider == "runware":
        from igny8.ai.openai_provider import RunwareImages

        return RunwareImages(settings)
    from igny8.ai.offline import OfflineProvider

    return OfflineProvider()
