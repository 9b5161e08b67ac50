"""Telegram, on top of Rasa's connector (aiogram 2), made safe to run unattended.

Its own webhook route, built on the parent's helpers (_is_button, _is_edited_message,
_is_user_message, _is_location, get_metadata): Rasa's blueprint
(rasa.core.channels.telegram.TelegramInput.blueprint) cannot carry it without faking its check.
Its /webhook calls getMe on every update and refuses the update unless the bot's user name
equals `verify` (so it would have to be set to the name getMe returns: a Bot API call per
update that proves nothing about the sender, and an update fails when the Bot API is slow or
down); its /set_webhook (GET or POST) registers the webhook without a secret token, after which
every update would be refused here; an update without a message (a chat-member update, a press
on a button of an inline-mode message) fails with a 500 that Telegram retries; one output
channel serves every update and button presses are never acknowledged. Differences:
- Request middleware: updates must carry Telegram's `X-Telegram-Bot-Api-Secret-Token` header,
  equal to the `secret_token` we registered the webhook with (otherwise 403, nothing is
  processed); a body that is not a Telegram Update gets 400.
- The webhook is registered when the server has started, with that secret token; if Telegram
  cannot be reached the server still starts and says so (POST /webhooks/telegram/set_webhook
  retries). Rasa's connector refuses to start instead.
- Replies are shaped by bot.shaping: at most 4096 characters per message, disclaimer +
  referral whole in the last message, follow-ups as an inline keyboard (one button a row).
- Button presses are acknowledged (answerCallbackQuery) so the client stops its spinner;
  /start and /help are understood.
- `api_base_url` points the bot at another Bot API server (a local Bot API server, or a
  stand-in in the tests); default https://api.telegram.org.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

from aiogram import Bot
from aiogram.bot.api import TELEGRAM_PRODUCTION, TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.serving.channels.base import MessagingInput, ShapedOutput, add_health_route, check_webhook, guarded
from bot.shaping import OutMessage, inbound_text

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def _server(api_base_url: Optional[str]) -> TelegramAPIServer:
    return TelegramAPIServer.from_base(api_base_url) if api_base_url else TELEGRAM_PRODUCTION


class SafeTelegramOutput(ShapedOutput, TelegramOutput):
    """Sends shaped replies; one instance per incoming update, closed after it."""

    platform = "telegram"

    def __init__(self, access_token: Optional[str], api_base_url: Optional[str] = None) -> None:
        Bot.__init__(self, access_token, server=_server(api_base_url))

    async def send_shaped(self, recipient_id: str, message: OutMessage) -> None:
        markup = None
        if message.buttons:
            markup = InlineKeyboardMarkup(row_width=1)
            for button in message.buttons:
                markup.row(InlineKeyboardButton(button["title"], callback_data=button["payload"]))
        # No parse_mode: plain text, so nothing in a reply can be read as markup.
        await self.send_message(recipient_id, message.text, reply_markup=markup, disable_web_page_preview=True)

    async def close_session(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class SafeTelegramInput(MessagingInput, TelegramInput):
    """credentials.yml key: bot.serving.channels.telegram.SafeTelegramInput"""

    channel_name = "telegram"

    @classmethod
    def from_settings(cls, credentials: Dict[str, Any]) -> InputChannel:
        return cls(
            access_token=credentials.get("access_token"),
            webhook_url=credentials.get("webhook_url") or None,
            secret_token=credentials.get("secret_token"),
            api_base_url=credentials.get("api_base_url") or None,
        )

    def __init__(
        self,
        access_token: Optional[str],
        webhook_url: Optional[str],
        secret_token: Optional[str],
        api_base_url: Optional[str] = None,
    ) -> None:
        if not access_token or not secret_token:
            raise ValueError("telegram needs access_token and secret_token (TELEGRAM_ACCESS_TOKEN, TELEGRAM_SECRET_TOKEN)")
        super().__init__(access_token, None, webhook_url, debug_mode=False)
        self.secret_token = str(secret_token)
        self.api_base_url = api_base_url

    def get_output_channel(self) -> SafeTelegramOutput:  # type: ignore[override]
        return SafeTelegramOutput(self.access_token, self.api_base_url)

    async def register_webhook(self) -> bool:
        if not self.webhook_url:
            logger.info("telegram: no webhook_url, not registering the webhook")
            return False
        bot = self.get_output_channel()
        try:
            await bot.request(
                "setWebhook",
                {"url": self.webhook_url, "secret_token": self.secret_token, "allowed_updates": json.dumps(ALLOWED_UPDATES)},
            )
            logger.info("telegram: webhook registered at %s", self.webhook_url)
            return True
        except Exception as error:  # the server must start even when Telegram is unreachable
            logger.error("telegram: could not register the webhook (%s); POST /webhooks/telegram/set_webhook to retry", error)
            return False
        finally:
            await bot.close_session()

    async def check(self, request: Request) -> Optional[HTTPResponse]:
        """The secret token, then the body: an Update, kept for the route as request.ctx.update."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8"), self.secret_token.encode("utf-8")):
            logger.warning("telegram: update without the right secret token refused")
            return response.json({"error": "invalid secret token"}, status=403)
        try:
            body = request.json
            request.ctx.update = Update(**(json.loads(body) if isinstance(body, str) else body))
        except Exception:
            return response.json({"error": "the body must be a Telegram Update object"}, status=400)
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = guarded(on_new_message)
        telegram_webhook = check_webhook(add_health_route(Blueprint("telegram_webhook", __name__)), self.check)

        @telegram_webhook.listener("after_server_start")
        async def register(app: Any, loop: Any) -> None:
            asyncio.ensure_future(self.register_webhook())

        @telegram_webhook.route("/set_webhook", methods=["POST"])
        async def set_webhook(_: Request) -> HTTPResponse:
            ok = await self.register_webhook()
            return response.json({"registered": ok}, status=200 if ok else 502)

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            update: Update = request.ctx.update
            out = self.get_output_channel()
            try:
                if self._is_button(update):
                    query = update.callback_query
                    await _quietly(out.answer_callback_query(query.id))
                    msg, text = query.message, query.data
                elif self._is_edited_message(update):
                    msg, text = update.edited_message, update.edited_message.text
                else:
                    msg = update.message
                    if msg is None:
                        return response.text("success")
                    if self._is_user_message(msg):
                        text = msg.text
                    elif self._is_location(msg):
                        text = f'{{"lng":{msg.location.longitude}, "lat":{msg.location.latitude}}}'
                    else:
                        return response.text("success")
                if msg is None or msg.chat is None or text is None:
                    return response.text("success")
                await on_new_message(
                    UserMessage(
                        inbound_text(text), out, msg.chat.id, input_channel=self.name(), metadata=self.get_metadata(request)
                    )
                )
            except Exception:
                # Telegram retries on errors; a bad update must not be retried forever.
                logger.exception("telegram: message handling failed")
            finally:
                await out.close_session()
            return response.text("success")

        return telegram_webhook


async def _quietly(call: Awaitable[Any]) -> None:
    try:
        await call
    except Exception as error:
        logger.warning("telegram: %s", error)
