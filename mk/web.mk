# Website widget: rasa-webchat from npm (exact version in package.json / package-lock.json),
# served with the demo page by bot/web/server.py (the `web` process of the Procfile).

NODE_STAMP := node_modules/.installed
CHROMIUM ?= /usr/bin/chromium

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the website widget (Node 18+)"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: web-install web-address chromium browser

web-install: $(NODE_STAMP) ## npm ci: the website widget's JavaScript (rasa-webchat)

# `make install`, `make run` and `make test` install it too.
install: $(NODE_STAMP)
test: $(NODE_STAMP)
run: web-address

web-address: build train $(NODE_STAMP)
	@echo ""
	@echo "  Website widget:   http://localhost:$${NETBOT_WEB_PORT:-8080}   (chat button at the bottom right)"

# Debian's Chromium for the browser test (Playwright's own browser download is not used).
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "Installing Chromium from Debian for the browser test"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	fi
	@test -x "$(CHROMIUM)"

browser: $(STAMP) $(NODE_STAMP) chromium build train ## Browser test (marker browser) of the website widget (headless Chromium, screenshot in results/)
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q -m browser tests/browser

EXTRA_TESTS += browser
