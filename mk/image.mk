# The image, without a Docker engine (none here): tests/test_image.py (marker slow) assembles exactly
# the files deploy/Dockerfile COPYs into a temporary folder, gives it a venv that stands for the
# image's pip install (a .pth onto .venv's pinned packages), boots both servers there with the
# Dockerfile's ENTRYPOINT/CMD and ENV, and asks a question over REST.
.PHONY: test-image

test-image: build train ## Image test (marker slow): the Dockerfile's file set, booted with its ENTRYPOINT, answers over REST
	$(BIN)/pytest -q -m slow tests/test_image.py

EXTRA_TESTS += test-image
