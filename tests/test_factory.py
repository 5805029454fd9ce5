"""The app factory and configuration."""

import pytest

from igny8 import create_app
from igny8.config import ConfigError, load_config, normalize_database_url


def test_factory_honours_overrides(app_config):
    app = create_app({**app_config, "SIGNUP_CREDITS": 42})
    assert app.config["TESTING"] is True
    assert app.config["SIGNUP_CREDITS"] == 42


def test_defaults_use_sqlite_and_embedded_redis_under_instance(tmp_path):
    config = load_config({"IGNY8_INSTANCE_PATH": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'igny8.db'}"
    assert config["REDIS_URL"] is None
    assert config["REDISLITE_PATH"] == str(tmp_path / "redis.db")
    assert config["OPENAI_API_KEY"] is None


@pytest.mark.parametrize("url, expected", [
    ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
    ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_forms_map_to_the_pinned_driver(url, expected):
    assert normalize_database_url(url) == expected
    assert load_config({"DATABASE_URL": url})["SQLALCHEMY_DATABASE_URI"] == expected


def test_production_refuses_to_start_without_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"IGNY8_ENV": "production"})
    assert load_config({"IGNY8_ENV": "production", "SECRET_KEY": "s"})["SESSION_COOKIE_SECURE"] is True


def test_bad_integer_setting_names_the_variable():
    with pytest.raises(ConfigError, match="SIGNUP_CREDITS"):
        load_config({"SIGNUP_CREDITS": "lots"})


def test_embedded_redis_is_shared_through_one_file(tmp_path):
    import subprocess
    import sys

    from igny8.extensions import embedded_redis_url

    path = str(tmp_path / "redis.db")
    url = embedded_redis_url(path)
    import redis

    redis.Redis.from_url(url).set("shared", "yes")
    code = (
        "import sys, redis; from igny8.extensions import embedded_redis_url;"
        f"print(redis.Redis.from_url(embedded_redis_url({path!r})).get('shared').decode())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "yes", out.stderr
