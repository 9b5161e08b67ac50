"""Rasa NLU graph components of this project (loaded by name from config.yml)."""
