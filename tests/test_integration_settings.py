"""Integration settings: keys encrypted and masked, provider resolution, test connection."""

from __future__ import annotations

import pytest

from igny8.extensions import db
from igny8.models import IntegrationSettings
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.responders import PipelineResponder

PATH = "/api/v1/settings/integration"


def test_defaults_resolve_to_offline_without_any_key(api):
    data = api.get(PATH).get_json()
    assert data["provider"] == "auto" and data["effective_provider"] == "offline"
    assert data["has_api_key"] is False and data["effective_image_provider"] == "offline"


def test_api_key_is_encrypted_at_rest_and_never_returned(app, api):
    resp = api.put(PATH, json={"api_key": "sk-live-abcdefghijkl9876", "base_url": "http://127.0.0.1:9/v1",
                               "models": {"content": "gpt-4o"}})
    assert resp.status_code == 200
    data = resp.get_json()
    assert "sk-live-abcdefghijkl9876" not in resp.get_data(as_text=True)
    assert data["api_key_last4"] == "9876" and data["has_api_key"] is True
    assert data["effective_provider"] == "openai" and data["effective_models"]["content"] == "gpt-4o"
    with app.app_context():
        row = db.session.query(IntegrationSettings).one()
        assert "abcdefghijkl" not in row.api_key_encrypted
    cleared = api.put(PATH, json={"api_key": ""}).get_json()
    assert cleared["has_api_key"] is False and cleared["effective_provider"] == "offline"


def test_environment_key_is_the_default(app, api):
    app.config["OPENAI_API_KEY"] = "sk-from-env"
    data = api.get(PATH).get_json()
    assert data["effective_provider"] == "openai" and data["uses_environment_key"] is True
    assert api.put(PATH, json={"provider": "offline"}).get_json()["effective_provider"] == "offline"


@pytest.mark.parametrize("body, field", [
    ({"provider": "anthropic"}, "provider"), ({"base_url": "ftp://x"}, "base_url"),
    ({"image_size": "big"}, "image_size"), ({"request_timeout": 1}, "request_timeout"),
    ({"models": {"poetry": "x"}}, "models.poetry"), ({"image_provider": "runware"}, "runware_api_key"),
    ({"colour": 1}, "colour"),
])
def test_invalid_settings_are_400_with_fields(api, body, field):
    resp = api.put(PATH, json=body)
    assert resp.status_code == 400 and field in resp.get_json()["fields"]


@pytest.mark.parametrize("supports", ["json_schema", "json_object", "text"])
def test_test_connection_finds_and_remembers_what_the_server_supports(api, supports):
    with FakeOpenAI(responder=PipelineResponder(), supports=supports) as server:
        api.put(PATH, json={"api_key": "sk-test", "base_url": server.base_url})
        result = api.post(PATH + "/test").get_json()
    assert result["ok"] is True and result["structured_outputs"] == supports
    assert api.get(PATH).get_json()["capabilities"]["response_format"] == supports


def test_test_connection_reports_a_refused_key(api):
    with FakeOpenAI(invalid_keys=("sk-bad",)) as server:
        api.put(PATH, json={"api_key": "sk-bad", "base_url": server.base_url})
        result = api.post(PATH + "/test").get_json()
    assert result["ok"] is False and "API key" in result["error"]


@pytest.mark.parametrize("field", ["provider", "request_timeout", "max_retries", "image_size", "models",
                                   "prompt_overrides", "image_provider"])
def test_null_for_a_required_setting_is_400_not_500(api, field):
    resp = api.put(PATH, json={field: None})
    assert resp.status_code == 400 and resp.get_json()["fields"] == {field: "may not be null"}
