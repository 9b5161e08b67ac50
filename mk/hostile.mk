# Hostile traffic (tests/hostile): malformed HTTP/1 framing over raw sockets, odd JSON, hostile
# text, Rasa commands typed by a user, poisonous metadata, methods and paths, socket.io session
# isolation, and a bounded 50 x 20 burst, against real servers started by bot/serving/launcher.py on
# 127.0.0.1 (one stack per test module). Writes results/hostile.md.
.PHONY: test-hostile

test-hostile: build train ## Hostile traffic (marker hostile): raw HTTP framing, JSON/text/metadata abuse, socket.io isolation, burst -> results/hostile.md
	$(BIN)/pytest -q -m hostile tests/hostile

EXTRA_TESTS += test-hostile
