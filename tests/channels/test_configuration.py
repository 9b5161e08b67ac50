"""Channel configuration without servers: credentials rendering, CORS origins, the page's config."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from bot.serving.channels.cors import allowed_origins, is_allowed
from bot.serving.credentials import label, read_dotenv, render, write
from bot.web.server import config_script, page_config
from tests.channels.stacks import channel_env
from tests.servers import PROJECT_ROOT

TEMPLATE = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text(encoding="utf-8"))
MESSAGING = {
    "bot.serving.channels.telegram.SafeTelegramInput",
    "bot.serving.channels.slack.SafeSlackInput",
    "bot.serving.channels.facebook.SafeFacebookInput",
    "bot.serving.channels.twilio.SafeTwilioInput",
}


def test_without_variables_only_rest_and_the_widget_are_on():
    enabled, disabled = render(TEMPLATE, {})
    assert list(enabled) == ["bot.serving.channels.rest.SafeRestInput", "bot.serving.channels.socketio.SafeSocketIOInput"]
    assert set(disabled) == MESSAGING
    assert disabled["bot.serving.channels.telegram.SafeTelegramInput"] == ["TELEGRAM_ACCESS_TOKEN", "TELEGRAM_SECRET_TOKEN"]
    assert enabled["bot.serving.channels.socketio.SafeSocketIOInput"]["session_persistence"] is True


def test_a_channel_needs_all_its_required_variables():
    enabled, disabled = render(TEMPLATE, {"SLACK_TOKEN": "xoxb-1"})
    assert "bot.serving.channels.slack.SafeSlackInput" not in enabled
    assert disabled["bot.serving.channels.slack.SafeSlackInput"] == ["SLACK_SIGNING_SECRET"]
    enabled, _ = render(TEMPLATE, {"SLACK_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    slack = enabled["bot.serving.channels.slack.SafeSlackInput"]
    # Optional variables fall back to their defaults.
    assert slack == {
        "slack_token": "xoxb-1",
        "slack_signing_secret": "s",
        "slack_channel": "",
        "api_base_url": "https://slack.com/api/",
    }


def test_every_channel_on_with_the_test_environment():
    enabled, disabled = render(TEMPLATE, channel_env("http://127.0.0.1:9"))
    assert disabled == {}
    assert enabled["bot.serving.channels.telegram.SafeTelegramInput"]["api_base_url"] == "http://127.0.0.1:9/telegram"
    assert enabled["bot.serving.channels.twilio.SafeTwilioInput"]["webhook_url"] == ""


def test_rendered_file_is_private_and_loads(tmp_path: Path):
    target = tmp_path / "build" / "credentials.yml"
    write(
        PROJECT_ROOT / "credentials.yml", target, {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_NUMBER": "+1"}
    )
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    loaded = yaml.safe_load(target.read_text())
    assert loaded["bot.serving.channels.twilio.SafeTwilioInput"]["auth_token"] == "t"
    assert "bot.serving.channels.telegram.SafeTelegramInput" not in loaded


def test_dotenv_is_read(tmp_path: Path):
    env = tmp_path / ".env"
    env.write_text("# secrets\nexport SLACK_TOKEN=xoxb-9\nSLACK_SIGNING_SECRET='quoted value'\n\nnot a line\nBAD-KEY=1\n")
    assert read_dotenv(env) == {"SLACK_TOKEN": "xoxb-9", "SLACK_SIGNING_SECRET": "quoted value"}
    assert read_dotenv(tmp_path / "missing") == {}


def test_channel_labels():
    assert label("bot.serving.channels.telegram.SafeTelegramInput") == "telegram"
    assert label("bot.serving.channels.rest.SafeRestInput") == "rest"
    assert label("socketio") == "socketio"


def test_cors_origins_are_the_page_plus_the_allow_list_never_star_by_default():
    assert allowed_origins({}) == ["http://localhost:8080", "http://127.0.0.1:8080"]
    origins = allowed_origins(
        {"NETBOT_WEB_PORT": "9000", "NETBOT_CORS_ORIGINS": "https://www.example.org/, https://example.org ,"}
    )
    assert origins == ["http://localhost:9000", "http://127.0.0.1:9000", "https://www.example.org", "https://example.org"]
    assert is_allowed("https://example.org", origins)
    assert not is_allowed("https://evil.example", origins)
    assert is_allowed(None, origins)  # not a browser
    assert is_allowed("https://anything.example", ["*"])


def test_procfile_passes_the_allow_list_to_rasa_and_runs_the_page():
    procfile = dict(
        line.split(":", 1)
        for line in (PROJECT_ROOT / "Procfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    # Launched through the launcher, which builds `--cors` from bot.serving.channels.cors.
    assert procfile["rasa"].strip() == ".venv/bin/python -m bot.serving.launcher rasa"
    from bot.serving.launcher import rasa_arguments

    arguments = rasa_arguments({"NETBOT_CORS_ORIGINS": "https://example.org"})
    cors = arguments[arguments.index("--cors") + 1 :]
    assert cors[:3] == ["http://localhost:8080", "http://127.0.0.1:8080", "https://example.org"]
    assert procfile["web"].strip() == ".venv/bin/python -m bot.web.server"


def test_page_config_points_at_rasa():
    assert page_config({}) == {"rasaPort": 5005}
    assert page_config({"RASA_PORT": "5999"}) == {"rasaPort": 5999}
    config = page_config({"NETBOT_SOCKET_URL": "https://chat.example.org/"})
    assert config["socketUrl"] == "https://chat.example.org"
    script = config_script({"NETBOT_SOCKET_URL": "https://x.example/</script><script>alert(1)"}).decode()
    assert "</script>" not in script and script.startswith("window.NETBOT_CONFIG = {")
