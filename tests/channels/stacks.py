"""Helpers shared by the channel and browser tests: which tests to collect, credentials, env."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Mapping

from bot.serving.credentials import write
from tests.servers import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "credentials.yml"

# Secrets of the test platforms (only ever sent to the local stand-in).
TELEGRAM_TOKEN = "7702155314:AAHk3s9vTq2Lx0cRmE1pWn8bYdJf6uGiZoQ"
TELEGRAM_SECRET = "tg-secret_2d8f6a1c9e"
SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
FACEBOOK_APP_SECRET = "a0d5e3f2c1b4a69788776655443322110"
FACEBOOK_VERIFY = "net-bot-verify-7c21"
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "f1e2d3c4b5a697887766554433221100"
TWILIO_NUMBER = "+15005550006"


def channel_env(stand_in_url: str) -> Dict[str, str]:
    """Every messaging channel on, each pointed at the stand-in for its API."""
    return {
        "TELEGRAM_ACCESS_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram/webhook",
        "TELEGRAM_API_BASE_URL": f"{stand_in_url}/telegram",
        "SLACK_TOKEN": "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
        "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "SLACK_API_BASE_URL": f"{stand_in_url}/slack/",
        "FACEBOOK_VERIFY_TOKEN": FACEBOOK_VERIFY,
        "FACEBOOK_APP_SECRET": FACEBOOK_APP_SECRET,
        "FACEBOOK_PAGE_ACCESS_TOKEN": "EAAGm0PX4ZCpsBAKZCZCZAZAZA1234567890",
        "FACEBOOK_GRAPH_URL": f"{stand_in_url}/facebook/v21.0",
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_NUMBER": TWILIO_NUMBER,
        "TWILIO_API_BASE_URL": f"{stand_in_url}/twilio",
    }


def render_credentials(target: Path, env: Mapping[str, str]) -> Path:
    """build/credentials.yml as `make build` writes it, from exactly `env` (not this shell's)."""
    write(TEMPLATE, target, env)
    return target
