# Scale-out profile test (tests/scale): real PostgreSQL and Redis from the Debian packages
# (apt-get installed when missing), on loopback in throw-away folders; one action server and
# two Rasa replicas with SANIC_WORKERS=2 each on endpoints.scale.yml (NETBOT_PROFILE=scale), the
# action server requiring the shared NETBOT_ACTIONS_TOKEN;
# interleaved and simultaneous messages of the same conversations on both replicas; replica A
# stopped mid-load. Also bot/serving/retention.py on PostgreSQL. Everything is stopped at the end.
.PHONY: test-scale scale-deps

scale-deps: ## apt-get install postgresql + redis-server if they are missing (test-scale does this too)
	$(BIN)/python -m bot.serving.services install

test-scale: build train ## Scale-out (marker scale): PostgreSQL + Redis lock store, 2 replicas x 2 workers, failover (installs via apt if missing)
	$(BIN)/pytest -q -s -m scale tests/scale

EXTRA_TESTS += test-scale
