# Messaging channels (Telegram, Slack, Facebook Messenger, Twilio SMS): the real Rasa server
# receives each platform's webhook format and replies to local stand-ins for their APIs.

.PHONY: channels

channels: $(STAMP) build train ## Channel tests (marker channels): signed webhooks in, shaped replies out to local API stand-ins
	$(BIN)/pytest -q -m channels tests/channels

EXTRA_TESTS += channels
