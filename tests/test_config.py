"""bot/config.py: the one typed place every setting is read, documented in .env.example."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.config import PROJECT_ROOT, Settings, SettingsError, env_names, load_env_file, settings, thresholds, write_thresholds

ENV_EXAMPLE = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_env_example():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, flags=re.MULTILINE))
    missing = [name for name in env_names() if name not in documented]
    assert not missing, f"add these to .env.example: {missing}"
    assert len(set(env_names())) == len(env_names()), "two settings read the same variable"


def test_values_are_typed_and_an_empty_value_is_unset():
    values = settings(
        {
            "RASA_PORT": "6005",
            "NETBOT_ENABLE_API": "yes",
            "NETBOT_ACTION_TIMEOUT": "2.5",
            "NETBOT_CORS_ORIGINS": "https://a.example, https://b.example,",
            "NETBOT_ENDPOINTS": "x.yml",
            "NETBOT_MAX_REQUEST_BYTES": "",
        }
    )
    assert values.rasa_port == 6005 and values.enable_api is True and values.action_timeout == 2.5
    assert values.cors_origins == ("https://a.example", "https://b.example")
    assert values.endpoints == PROJECT_ROOT / "x.yml" and values.credentials is None
    assert settings({"NETBOT_MODEL": "/srv/model.tar.gz"}).model == Path("/srv/model.tar.gz")
    assert values.max_request_bytes == 1_000_000


@pytest.mark.parametrize(
    "name, value", [("RASA_PORT", "fifty"), ("NETBOT_ACTION_TIMEOUT", "soon"), ("NETBOT_ENABLE_API", "maybe")]
)
def test_a_value_of_the_wrong_kind_names_its_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        settings({name: value})


def test_the_thresholds_come_from_the_data_file_and_the_environment_overrides():
    calibrated = [f.name for f in dataclasses.fields(Settings) if f.metadata["calibrated"]]
    assert "retrieval_direct_threshold" in calibrated and "follow_up_min_confidence" in calibrated
    assert sorted(thresholds()) == sorted(calibrated)
    defaults = settings({})
    for name in calibrated:
        assert getattr(defaults, name) == thresholds()[name]
    assert settings({"NETBOT_RETRIEVAL_DIRECT": "0.77"}).retrieval_direct_threshold == 0.77


def test_calibration_rewrites_the_data_file_only(tmp_path: Path):
    copy = tmp_path / "thresholds.yml"
    shutil.copy(config.THRESHOLDS_FILE, copy)
    before = copy.read_text(encoding="utf-8")
    write_thresholds({"retrieval_direct_threshold": 0.61}, path=copy)
    after = copy.read_text(encoding="utf-8")
    assert [line for line in after.splitlines() if line.startswith("#")] == [
        line for line in before.splitlines() if line.startswith("#")
    ]
    assert yaml.safe_load(after) == {**yaml.safe_load(before), "retrieval_direct_threshold": 0.61}
    with pytest.raises(SettingsError):
        write_thresholds({"no_such_threshold": 1.0}, path=copy)
    source = (PROJECT_ROOT / "evaluation" / "calibrate_retrieval.py").read_text(encoding="utf-8")
    assert (
        "write_thresholds" in source and "re.sub" not in source and ".write_text" not in source.replace("REPORT.write_text", "")
    )


def test_the_env_file_is_read_with_python_dotenv_and_the_environment_wins(tmp_path: Path):
    env_file = tmp_path / ".env"
    env_file.write_text("# secrets\nexport SLACK_TOKEN=xoxb-9\nRASA_PORT='6006'\nNETBOT_RATE_BURST=5\nBAD-KEY=1\n")
    env = {"NETBOT_ENV_FILE": str(env_file), "NETBOT_RATE_BURST": "7"}
    assert load_env_file(env) == env_file
    assert env["SLACK_TOKEN"] == "xoxb-9" and env["RASA_PORT"] == "6006"
    assert env["NETBOT_RATE_BURST"] == "7"  # already set: the real environment wins
    assert "BAD-KEY" not in env
    assert load_env_file({"NETBOT_ENV_FILE": "none"}) is None
    assert load_env_file({"NETBOT_ENV_FILE": str(tmp_path / "missing")}) is None


def test_settings_follow_the_environment(monkeypatch):
    monkeypatch.setenv("NETBOT_MAX_MESSAGE_CHARS", "321")
    assert settings().max_message_chars == 321
    monkeypatch.delenv("NETBOT_MAX_MESSAGE_CHARS")
    assert settings().max_message_chars == 2000


def test_secrets_are_masked_in_the_printed_settings():
    shown = settings({"NETBOT_API_TOKEN": "a-secret-token-1234", "NETBOT_ACTIONS_TOKEN": "t"}).redacted()
    assert shown["NETBOT_API_TOKEN"] == "***" and shown["NETBOT_ACTIONS_TOKEN"] == "***"
    assert shown["RASA_PORT"] == 5005 and shown["NETBOT_JWT_SECRET"] == ""
