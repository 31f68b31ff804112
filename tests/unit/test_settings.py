import json
import logging

from agp_dash.settings import ENVIRONMENT, Secret, Settings

KEY = "np-secret-key-0123456789abcdef"
OPENAI_KEY = "openai-test-key-abcdefghijklmnop"


def test_st01_defaults_without_environment(tmp_path):
    s = Settings.from_env({}, env_file=tmp_path / "missing.env")
    assert str(s.home) == "output"
    assert s.neuronpedia_base_url == "https://www.neuronpedia.org/api"
    assert not s.neuronpedia_api_key and not s.openai_api_key and s.redis_url == ""


def test_st02_env_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"NEURONPEDIA_API_KEY={KEY}\nNEURONPEDIA_BASE_URL=http://127.0.0.1:9/api/\n"
                        "AGP_HOME=/from/file\n")
    s = Settings.from_env({"AGP_HOME": "/from/env"}, env_file=env_file)
    assert s.neuronpedia_api_key.get() == KEY
    assert s.neuronpedia_base_url == "http://127.0.0.1:9/api"
    assert str(s.home) == "/from/env"


def test_st03_secrets_never_print():
    s = Settings(neuronpedia_api_key=Secret(KEY), openai_api_key=Secret(OPENAI_KEY),
                 secret_key=Secret("flask-signing-secret"))
    for text in (repr(s), str(s), json.dumps(s.public_summary()), f"{s.neuronpedia_api_key}"):
        assert KEY not in text and OPENAI_KEY not in text and "flask-signing-secret" not in text
    assert s.public_summary()["neuronpedia_api_key"] == "set"
    assert s.public_summary()["openai_api_key"] == "set"


def test_st04_every_documented_variable_is_in_the_readme():
    from tests.fixture_paths import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text()
    for name in ENVIRONMENT:
        assert f"`{name}`" in readme, f"{name} missing from the README's configuration table"


def test_st05_keys_never_reach_layout_dependencies_or_logs(tmp_path, caplog):
    from agp_dash.web.app import create_app

    caplog.set_level(logging.DEBUG)
    settings = Settings(home=tmp_path, neuronpedia_api_key=Secret(KEY),
                        openai_api_key=Secret(OPENAI_KEY), secret_key=Secret("flask-signing-secret"))
    app = create_app(settings)
    client = app.server.test_client()
    served = b"".join(client.get(path).data for path in ("/", "/_dash-layout", "/_dash-dependencies"))
    for secret in (KEY, OPENAI_KEY, "flask-signing-secret"):
        assert secret.encode() not in served
        assert secret not in caplog.text
