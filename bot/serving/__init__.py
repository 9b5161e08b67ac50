"""The Rasa-facing parts of the bot: the HTTP edge, the launcher's patches and hooks.

Everything here may import Rasa and Sanic; the core modules of `bot` never import from here.
"""
