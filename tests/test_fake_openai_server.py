"""The fake OpenAI server, driven through the real ``openai`` SDK (3.x, on HTTPX2).

These tests pin down both the fake's behaviour and how the SDK surfaces each fault, so the
product's OpenAI code can rely on them. Every 200 answer and every OpenAI error body the fake
sends is checked against the OpenAI OpenAPI description when the ``server`` fixture ends.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Literal

import openai
import pytest
from PIL import Image
from pydantic import BaseModel, Field

from tests.fakes.openai_server import (
    CHAT_PATH,
    IMAGES_PATH,
    MODELS_PATH,
    RUNWARE_PATH,
    FakeOpenAI,
    build_instance,
    instance_errors,
    last_user_text,
    schema_errors,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESPONSE_SCHEMAS = {CHAT_PATH: "CreateChatCompletionResponse", IMAGES_PATH: "ImagesResponse",
                    MODELS_PATH: "ListModelsResponse"}
MESSAGES = [{"role": "system", "content": "You group SEO keywords."},
            {"role": "user", "content": "Cluster these keywords: wool socks, running socks, socks for men"}]
KEYWORDS_SCHEMA = {
    "type": "object",
    "properties": {
        "clusters": {
            "type": "array", "minItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "keywords": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "intent": {"type": "string", "enum": ["informational", "commercial"]},
                    "priority": {"type": "integer", "minimum": 1, "maximum": 5},
                },
                "required": ["name", "keywords", "intent", "priority"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["clusters"],
    "additionalProperties": False,
}
JSON_SCHEMA_FORMAT = {"type": "json_schema", "json_schema": {"name": "clusters", "strict": True,
                                                             "schema": KEYWORDS_SCHEMA}}


def assert_answers_match_spec(server: FakeOpenAI) -> None:
    """Every 200 JSON answer matches its response schema; every OpenAI error body matches ErrorResponse."""
    for path, status, _headers, body in server.responses:
        if not isinstance(body, dict):
            continue  # the invalid_json fault, image files, the timeout fault (no answer at all)
        if status == 200 and (path in RESPONSE_SCHEMAS or path.startswith(MODELS_PATH)):
            assert schema_errors(RESPONSE_SCHEMAS.get(path, "Model"), body) == [], (path, body)
        elif status >= 400 and path != RUNWARE_PATH:
            assert schema_errors("ErrorResponse", body) == [], (path, body)


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake
        assert_answers_match_spec(fake)


@pytest.fixture
def client(server):
    # No SDK retries and a short timeout: each fault shows up as exactly one request.
    with openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0, timeout=5) as sdk:
        yield sdk


def post_json(url: str, body, key: str | None = "sk-test"):
    """POST with urllib (no SDK): returns (status, headers, parsed JSON body)."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, json.loads(error.read())


def png_size(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.size


# ----------------------------------------------------------------------------- chat completions


def test_plain_chat_answer_usage_and_recorded_request(server, client):
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    answer = completion.choices[0].message.content
    assert answer.startswith("Fake answer about: Cluster these keywords")
    assert completion.model == "gpt-4o-mini"
    assert completion.id.startswith("chatcmpl-") and completion.created > 0
    assert completion.choices[0].finish_reason == "stop"
    usage = completion.usage
    assert usage.prompt_tokens == 14  # words of both messages
    assert usage.completion_tokens == len(answer.split())
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert completion._request_id == "req_1"

    (path, headers, body), = server.requests
    assert path == CHAT_PATH and headers["authorization"] == "Bearer sk-test"
    assert body["messages"] == MESSAGES
    assert server.counts[CHAT_PATH] == 1 and server.request_errors == []


def test_json_schema_strict_answer_satisfies_the_schema(client):
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                                response_format=JSON_SCHEMA_FORMAT)

    content = json.loads(completion.choices[0].message.content)
    assert instance_errors(KEYWORDS_SCHEMA, content) == []
    assert len(content["clusters"]) == 3  # max(minItems, 3)
    assert content["clusters"][0]["intent"] == "informational"  # enums pick the first value
    assert "socks" in json.dumps(content)  # strings come from the user's words


def test_sdk_parse_with_a_pydantic_model(client):
    """``chat.completions.parse`` sends a strict schema with ``$defs``; the default responder follows refs."""

    class Cluster(BaseModel):
        name: str
        keywords: list[str] = Field(min_length=2)
        intent: Literal["commercial", "informational"]
        priority: int = Field(ge=3, le=4)
        note: str | None

    class Clusters(BaseModel):
        clusters: list[Cluster]

    completion = client.chat.completions.parse(model="gpt-4o-mini", messages=MESSAGES, response_format=Clusters)

    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, Clusters) and len(parsed.clusters) == 3
    assert parsed.clusters[0].intent == "commercial" and parsed.clusters[0].priority == 3


def test_json_object_mode(client):
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                                response_format={"type": "json_object"})

    assert json.loads(completion.choices[0].message.content) == {"answer": MESSAGES[1]["content"]}


def test_a_plugged_in_responder_sees_the_request(server, client):
    seen = []

    def responder(request):
        seen.append(request)
        words = last_user_text(request).split(": ", 1)[1].split(", ")
        return {"clusters": [{"name": w, "keywords": [w]} for w in words]}

    server.responder = responder
    completion = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, temperature=0)

    assert json.loads(completion.choices[0].message.content)["clusters"][2]["name"] == "socks for men"
    assert seen[0]["temperature"] == 0 and seen[0]["model"] == "gpt-4o"


def test_raw_response_exposes_headers_and_request_id(client):
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)

    assert raw.headers["x-request-id"] == "req_1"
    completion = raw.parse()
    assert completion._request_id == "req_1"  # what the product should log


def test_models_list_and_retrieve(client):
    assert [m.id for m in client.models.list()] == ["gpt-4o-mini", "gpt-4o", "gpt-image-1", "dall-e-3"]
    assert client.models.retrieve("gpt-4o").owned_by == "system"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("no-such-model")
    assert caught.value.code == "model_not_found"


# ----------------------------------------------------------------------------- request validation


def test_an_invalid_chat_request_is_recorded_and_rejected(server):
    status, headers, body = post_json(f"{server.base_url}/chat/completions", {"model": "gpt-4o-mini"})

    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    assert headers["x-request-id"] == "req_1"
    assert len(server.request_errors) == 1 and "messages" in server.request_errors[0]


def test_a_body_that_is_not_json_is_recorded_and_rejected(server):
    status, _, body = post_json(f"{server.base_url}/chat/completions", b"{not json")

    assert status == 400 and "parse the JSON body" in body["error"]["message"]
    assert server.request_errors and server.requests[0].json is None


def test_missing_api_key_is_401(server):
    status, _, body = post_json(f"{server.base_url}/chat/completions",
                                {"model": "gpt-4o-mini", "messages": MESSAGES}, key=None)

    assert status == 401 and "didn't provide an API key" in body["error"]["message"]


def test_a_listed_invalid_key_raises_authentication_error(server, client):
    server.invalid_keys.add("sk-test")

    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert caught.value.code == "invalid_api_key" and caught.value.status_code == 401
    assert caught.value.request_id == "req_1"


# ----------------------------------------------------------------------------- faults


@pytest.mark.parametrize(("kind", "exception", "code", "status"), [
    ("rate_limit", openai.RateLimitError, "rate_limit_exceeded", 429),
    ("insufficient_quota", openai.RateLimitError, "insufficient_quota", 429),
    ("server_error", openai.InternalServerError, None, 500),
    ("invalid_key", openai.AuthenticationError, "invalid_api_key", 401),
])
def test_status_faults_raise_the_matching_sdk_error(server, client, kind, exception, code, status):
    server.fail_next(kind)

    with pytest.raises(exception) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert caught.value.code == code and caught.value.status_code == status
    # One-shot: the next call is healthy again.
    assert client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices
    assert server.pending_faults == []


def test_rate_limit_carries_retry_after(server, client):
    server.fail_next("rate_limit", retry_after=7)

    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.type == "rate_limit_exceeded"


def test_sdk_retries_honour_retry_after(server):
    server.fail_next("rate_limit", retry_after=1)
    with openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=2, timeout=5) as sdk:
        started = time.monotonic()
        completion = sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        elapsed = time.monotonic() - started

    assert completion.choices[0].message.content
    assert server.counts[CHAT_PATH] == 2
    # The SDK's own first back-off is at most 0.5 s, so >= 1 s means it waited for Retry-After.
    assert elapsed >= 1.0
    assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1"]


def test_sdk_also_retries_insufficient_quota(server):
    """Surprise worth knowing: a 429 is a 429 to the SDK, so a quota error is retried (and wastes time)."""
    server.fail_next("insufficient_quota")
    with openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=1, timeout=5) as sdk:
        assert sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices
    assert server.counts[CHAT_PATH] == 2


def test_timeout_fault_raises_api_timeout_error(server):
    server.fail_next("timeout")
    with openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0, timeout=0.3) as sdk:
        with pytest.raises(openai.APITimeoutError):
            sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        # The hanging handler does not block other requests.
        assert sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices


def test_stop_wakes_a_hanging_request_quickly():
    fake = FakeOpenAI(mode="timeout", hang_seconds=60).start()
    sdk = openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    started = time.monotonic()
    fake.stop()
    sdk.close()
    assert time.monotonic() - started < 2


def test_slow_fault_delays_but_answers(server, client):
    server.fail_next("slow", seconds=0.3)
    started = time.monotonic()
    assert client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices
    assert time.monotonic() - started >= 0.3


def test_invalid_json_body_surfaces_as_a_plain_json_decode_error(server, client):
    """SDK 3.x does not wrap it: a 200 with a broken JSON body raises ``json.JSONDecodeError``."""
    server.fail_next("invalid_json")

    with pytest.raises(json.JSONDecodeError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert not isinstance(caught.value, openai.OpenAIError)


def test_non_json_content_type_comes_back_as_a_str(server, client):
    """Without ``_strict_response_validation`` the SDK hands back the body text instead of a ChatCompletion."""
    server.fail_next("invalid_json", content_type="text/plain")

    result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert isinstance(result, str) and result.startswith('{"id": "chatcmpl-broken"')


def test_bad_content_json_is_a_valid_completion_with_broken_content(server, client):
    server.fail_next("bad_content_json")

    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                                response_format=JSON_SCHEMA_FORMAT)
    with pytest.raises(json.JSONDecodeError):
        json.loads(completion.choices[0].message.content)


def test_schema_violation_is_valid_json_that_breaks_the_schema(server, client):
    server.fail_next("schema_violation")

    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                                response_format=JSON_SCHEMA_FORMAT)
    content = json.loads(completion.choices[0].message.content)
    assert instance_errors(KEYWORDS_SCHEMA, content) == ["<root>: 'clusters' is a required property"]


def test_length_fault_truncates_with_finish_reason_length(server, client):
    server.fail_next("length")

    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                                response_format=JSON_SCHEMA_FORMAT)
    assert completion.choices[0].finish_reason == "length"


def test_faults_can_target_one_path_and_repeat(server, client):
    server.fail_next("server_error", times=2, path=CHAT_PATH)

    assert client.models.list().data  # not the targeted path: untouched
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices


def test_a_persistent_mode_applies_to_every_request(server, client):
    server.mode = "server_error"
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            client.models.list()
    server.mode = None
    assert client.models.list().data


def test_unknown_fault_kind_is_refused(server):
    with pytest.raises(ValueError, match="unknown fault kind"):
        server.fail_next("gremlins")


# ----------------------------------------------------------------------------- capabilities


def test_json_object_only_server_fails_json_schema_with_500():
    with FakeOpenAI(supports="json_object") as fake, \
            openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0, timeout=5) as sdk:
        with pytest.raises(openai.InternalServerError):
            sdk.chat.completions.create(model="local", messages=MESSAGES, response_format=JSON_SCHEMA_FORMAT)
        completion = sdk.chat.completions.create(model="local", messages=MESSAGES,
                                                 response_format={"type": "json_object"})
        assert json.loads(completion.choices[0].message.content)
        assert_answers_match_spec(fake)


def test_text_only_server_rejects_response_format_and_wraps_json_in_prose():
    with FakeOpenAI(supports="text", responder=lambda request: {"clusters": []}) as fake, \
            openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0, timeout=5) as sdk:
        with pytest.raises(openai.BadRequestError) as caught:
            sdk.chat.completions.create(model="local", messages=MESSAGES, response_format={"type": "json_object"})
        assert caught.value.param == "response_format"

        content = sdk.chat.completions.create(model="local", messages=MESSAGES).choices[0].message.content
        assert content.startswith("Sure! Here it is:\n```json\n")
        assert json.loads(content.split("```json\n", 1)[1].split("\n```", 1)[0]) == {"clusters": []}
        assert_answers_match_spec(fake)


# ----------------------------------------------------------------------------- images


def test_gpt_image_answers_b64_png_of_the_requested_size(server, client):
    result = client.images.generate(model="gpt-image-1", prompt="a pair of wool socks", size="1024x1024")

    assert result.data[0].url is None
    assert png_size(base64.b64decode(result.data[0].b64_json)) == (1024, 1024)
    assert result.usage.input_tokens == 5


def test_gpt_image_rejects_response_format_like_the_real_api(server, client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="gpt-image-1", prompt="socks", response_format="b64_json")
    assert caught.value.code == "unknown_parameter"
    assert server.request_errors == [f"{IMAGES_PATH}: response_format sent to gpt-image-1"]


def test_dalle_answers_a_downloadable_url(server, client):
    result = client.images.generate(model="dall-e-3", prompt="a pair of wool socks", size="1024x1792")

    url = result.data[0].url
    assert url.startswith(f"{server.root_url}/files/") and result.data[0].revised_prompt
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert png_size(response.read()) == (1024, 1792)


def test_dalle_b64_when_asked_and_small_sizes(client):
    result = client.images.generate(model="dall-e-2", prompt="socks", size="256x256", n=2,
                                    response_format="b64_json")

    assert [png_size(base64.b64decode(item.b64_json)) for item in result.data] == [(256, 256)] * 2


def test_image_faults_apply_too(server, client):
    server.fail_next("rate_limit", path=IMAGES_PATH)
    with pytest.raises(openai.RateLimitError):
        client.images.generate(model="gpt-image-1", prompt="socks", size="1024x1024")


# ----------------------------------------------------------------------------- Runware


def runware_task(**overrides):
    task = {"taskType": "imageInference", "taskUUID": str(uuid.uuid4()), "positivePrompt": "a pair of wool socks",
            "model": "runware:101@1", "width": 512, "height": 256, "numberResults": 1, "outputType": "URL"}
    return {**task, **overrides}


def test_runware_url_and_base64_outputs(server):
    by_url, by_data = runware_task(), runware_task(outputType="base64Data", numberResults=2, includeCost=True)
    status, _, body = post_json(server.runware_url, [by_url, by_data])

    assert status == 200
    first, *rest = body["data"]
    assert first["taskType"] == "imageInference" and first["taskUUID"] == by_url["taskUUID"]
    assert uuid.UUID(first["imageUUID"]) and "imageBase64Data" not in first
    with urllib.request.urlopen(first["imageURL"], timeout=5) as response:
        assert png_size(response.read()) == (512, 256)
    assert [item["taskUUID"] for item in rest] == [by_data["taskUUID"]] * 2
    assert png_size(base64.b64decode(rest[0]["imageBase64Data"])) == (512, 256)
    assert rest[0]["cost"] > 0 and server.request_errors == []


def test_runware_rejects_invalid_tasks_in_its_error_shape(server):
    status, _, body = post_json(server.runware_url, [runware_task(width=500)])

    assert status == 400
    (error,) = body["errors"]
    assert error["code"] == "invalidParameter" and error["parameter"] == "width"
    assert server.request_errors == [f"{RUNWARE_PATH}: width: {error['message']}"]
    assert "multiple of 64" in error["message"]


def test_runware_auth_and_faults(server):
    server.invalid_keys.add("bad-key")
    status, _, body = post_json(server.runware_url, [runware_task()], key="bad-key")
    assert (status, body["errors"][0]["code"]) == (401, "invalidApiKey")

    server.fail_next("rate_limit", path=RUNWARE_PATH)
    status, headers, body = post_json(server.runware_url, [runware_task()])
    assert (status, headers["Retry-After"]) == (429, "1")

    # The key may also travel as an authentication task instead of a header.
    status, _, body = post_json(server.runware_url, [{"taskType": "authentication", "apiKey": "rw-key"},
                                                     runware_task(outputType="dataURI")], key=None)
    assert status == 200 and body["data"][0]["imageDataURI"].startswith("data:image/png;base64,")


# ----------------------------------------------------------------------------- records, helpers, script


def test_reset_forgets_records_and_restores_configuration(server, client):
    server.responder = lambda request: "changed"
    server.invalid_keys.add("sk-other")
    server.fail_next("server_error", path=CHAT_PATH)
    client.models.list()
    server.reset()

    assert (server.requests, server.responses, server.request_errors, server.counts) == ([], [], [], {})
    assert server.pending_faults == [] and server.invalid_keys == set()
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert completion.choices[0].message.content.startswith("Fake answer about")


def test_build_instance_handles_pydantic_style_schemas():
    class Item(BaseModel):
        tags: list[Literal["a", "b", "c", "d"]] = Field(min_length=1, max_length=2)
        score: float = Field(gt=0, lt=1)
        label: str = Field(min_length=12, max_length=20)
        maybe: int | None = None

    class Page(BaseModel):
        items: list[Item] = Field(min_length=4)
        title: str

    schema = Page.model_json_schema()
    instance = build_instance(schema, "alpha beta gamma")

    assert instance_errors(schema, instance) == []
    page = Page.model_validate(instance)
    assert len(page.items) == 4 and page.title == "alpha beta gamma"


def test_runs_as_a_script_for_subprocesses():
    process = subprocess.Popen([sys.executable, "-m", "tests.fakes.openai_server", "--port", "0"],
                               cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("READY http://127.0.0.1:") and line.rstrip().endswith("/v1")
        base_url = line.split()[1]
        with openai.OpenAI(api_key="sk-test", base_url=base_url, max_retries=0, timeout=5) as sdk:
            assert sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
        process.stdout.close()
