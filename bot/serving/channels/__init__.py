"""Rasa input channels of ours (loaded by module path from credentials.yml)."""
