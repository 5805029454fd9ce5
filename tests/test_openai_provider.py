"""The OpenAI path through the real ``openai`` SDK against a local fake OpenAI-compatible server."""

from __future__ import annotations

import pytest

from igny8.ai.base import (
    AIError,
    AIFatalError,
    ClusterInfo,
    ContentInfo,
    KeywordInfo,
    OutlineSection,
    SiteInfo,
    TaskInfo,
)
from igny8.ai.openai_provider import OpenAIProvider, RunwareImages
from igny8.services.integrations import Effective
from tests.fakes.openai_server import CHAT_PATH, FakeOpenAI
from tests.fakes.responders import PipelineResponder

SITE = SiteInfo("Pumps", "pumps.example")
KEYWORDS = [KeywordInfo(i, f"sump pump {w}", 100 - i, "commercial") for i, w in
            enumerate(["battery", "alarm", "installation", "cost", "repair", "reviews", "parts"], 1)]


@pytest.fixture
def server():
    with FakeOpenAI(responder=PipelineResponder(), retry_after=1) as fake:
        yield fake


def settings(server, **changes) -> Effective:
    values = dict(provider="openai", api_key="sk-test-1234", base_url=server.base_url,
                  models={f: "gpt-4o-mini" for f in ("clustering", "ideas", "content", "image_prompts")},
                  image_provider="openai", image_model="gpt-image-1", image_size="256x256", runware_api_key="rw",
                  runware_base_url=server.runware_url, timeout=5, max_retries=0)
    values.update(changes)
    return Effective(**values)


def task(words=800) -> TaskInfo:
    outline = [OutlineSection(f"Part {n}", ["sump pump battery"], words // 4) for n in range(1, 5)]
    return TaskInfo(1, "Battery backup sump pumps", "sump pump battery", ["sump pump alarm"], outline, words)


def test_clusters_come_back_through_strict_structured_outputs(server):
    result = OpenAIProvider(settings(server)).cluster_keywords(KEYWORDS, SITE)
    assert sum(len(c.keywords) for c in result.clusters) == len(KEYWORDS)
    assert result.usage.provider == "openai" and result.usage.tokens_in > 0 and result.usage.tokens_out > 0
    assert result.usage.request_id and result.usage.model == "gpt-4o-mini"
    body = server.requests_to(CHAT_PATH)[0].json
    assert body["response_format"]["type"] == "json_schema" and body["response_format"]["json_schema"]["strict"]
    assert server.request_errors == []


def test_every_function_answers_valid_results(server):
    provider = OpenAIProvider(settings(server))
    ideas = provider.generate_ideas(ClusterInfo(1, "sump pump battery", "", KEYWORDS), SITE).ideas
    assert ideas[0].outline and sum(s.word_budget for s in ideas[0].outline) == ideas[0].target_words
    article = provider.generate_content(task(), SITE).article
    assert "<h2>Part 1</h2>" in article.html and article.meta_title and article.meta_description
    prompts = provider.generate_image_prompts(ContentInfo(1, "t", "kw", ["a", "b"]), 2, SITE).prompts
    assert [(p.kind, p.position) for p in prompts] == [("featured", 0), ("in_article", 1), ("in_article", 2)]
    image = provider.generate_image("a pump", "256x256").image
    assert image.data[:4] == b"\x89PNG" and (image.width, image.height) == (256, 256)
    assert server.request_errors == []


def test_dall_e_url_is_downloaded_at_once(server):
    image = OpenAIProvider(settings(server, image_model="dall-e-3")).generate_image("a pump", "1024x1024").image
    assert image.data[:4] == b"\x89PNG" and image.width == 1024


def test_runware_images_come_back_as_png(server):
    result = RunwareImages(settings(server, image_model="runware:101@1")).generate_image("a pump", "256x256")
    assert result.image.data[:4] == b"\x89PNG" and result.usage.provider == "runware"
    assert server.request_errors == []


def test_json_object_only_server_is_used_in_json_object_mode(server):
    server.supports = "json_object"
    provider = OpenAIProvider(settings(server))
    assert len(provider.cluster_keywords(KEYWORDS, SITE).clusters) >= 1
    assert provider.mode == "json_object"
    assert provider.probe() == "json_object"


def test_server_answering_json_inside_prose_still_works(server):
    server.supports = "text"
    provider = OpenAIProvider(settings(server))
    assert provider.cluster_keywords(KEYWORDS, SITE).clusters
    assert provider.mode == "text"


def test_schema_violation_is_retried_once_with_the_error_fed_back(server):
    server.fail_next("schema_violation")
    result = OpenAIProvider(settings(server)).cluster_keywords(KEYWORDS, SITE)
    assert result.clusters
    second = server.requests_to(CHAT_PATH)[1].json["messages"]
    assert second[-1]["role"] == "user" and "invalid" in second[-1]["content"]


def test_broken_json_twice_fails_the_item_with_a_reason(server):
    server.fail_next("bad_content_json", times=2)
    with pytest.raises(AIError, match="invalid AI answer after one retry"):
        OpenAIProvider(settings(server)).cluster_keywords(KEYWORDS, SITE)


def test_empty_article_is_retried_then_fails(server):
    server.responder.empty_article_for.add("Battery backup sump pumps")
    with pytest.raises(AIError, match="words"):
        OpenAIProvider(settings(server)).generate_content(task(), SITE)
    assert server.responder.calls["content"] == 2


def test_rate_limit_with_retry_after_is_waited_out(server):
    server.fail_next("rate_limit", retry_after=1)
    assert OpenAIProvider(settings(server)).cluster_keywords(KEYWORDS, SITE).clusters
    assert server.counts[CHAT_PATH] == 2


def test_one_server_error_does_not_fail_the_item(server):
    server.fail_next("server_error")
    # A 500 first makes the provider try json_object; the answer still validates.
    assert OpenAIProvider(settings(server)).cluster_keywords(KEYWORDS, SITE).clusters


def test_timeout_fails_the_item_as_retryable(server):
    server.mode = "timeout"
    server.hang_seconds = 3
    with pytest.raises(AIError) as caught:
        OpenAIProvider(settings(server, timeout=0.5)).cluster_keywords(KEYWORDS, SITE)
    assert caught.value.retryable and "timed out" in caught.value.reason


def test_invalid_json_body_fails_the_item(server):
    server.fail_next("invalid_json", times=5)
    with pytest.raises(AIError):
        OpenAIProvider(settings(server)).cluster_keywords(KEYWORDS, SITE)


@pytest.mark.parametrize("kind, message", [("insufficient_quota", "quota"), ("invalid_key", "API key")])
def test_quota_and_key_errors_are_fatal_for_the_run(server, kind, message):
    server.mode = kind
    with pytest.raises(AIFatalError, match=message):
        OpenAIProvider(settings(server)).cluster_keywords(KEYWORDS, SITE)
