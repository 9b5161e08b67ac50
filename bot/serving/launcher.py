"""Start the Rasa server, the action server or a terminal chat with the project's safe defaults.

    python -m bot.serving.launcher rasa           # the Procfile's `rasa` process (and the image's)
    python -m bot.serving.launcher actions        # the Procfile's `actions` process
    python -m bot.serving.launcher shell          # `make shell`: `rasa shell`, same patches and settings
    python -m bot.serving.launcher rasa --print   # show what would run (secrets masked) and exit

This is the one way the servers start: `make run` (Procfile), `make shell`, the tests, `make eval`,
`make bench` (bot/serving/stack.py) and the image (deploy/Dockerfile) all come through here.

Every setting is read by bot/config.py from the environment (documented in .env.example), after
the untracked .env file is loaded (python-dotenv; the real environment wins). At start:

  - the credentials Rasa reads are rendered from credentials.yml + the environment into
    NETBOT_BUILD_DIR/credentials.yml (bot/serving/credentials.py), unless NETBOT_CREDENTIALS
    names a ready file: channel variables given at run time (a Kubernetes Secret) switch their
    channel on;
  - the endpoints file is the profile's (NETBOT_PROFILE, NETBOT_ENDPOINTS), derived into
    NETBOT_BUILD_DIR when the action server is elsewhere (ACTIONS_PORT, NETBOT_ACTIONS_URL) or
    needs the shared token (NETBOT_ACTIONS_TOKEN, written as a ${placeholder} only);
  - Rasa gets the request gate (bot/serving/http_gate.py), the bounded action call
    (bot/serving/action_call.py), the action timeout (NETBOT_ACTION_TIMEOUT), the speed-ups
    (NETBOT_SPEEDUPS), the CORS allow-list (NETBOT_CORS_ORIGINS) and our logging;
  - the libraries' deprecation and user warnings are not shown (NETBOT_LIBRARY_WARNINGS=1 shows
    them): the console carries our own lines and the libraries' errors.

Secrets never appear on a command line: Rasa runs in this process (its argv is built here, so
`ps` shows `bot.serving.launcher rasa`), and the endpoints file names ${NETBOT_ACTIONS_TOKEN}, which
Rasa expands itself.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import logging
import logging.config
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, List, Mapping, MutableMapping, Optional

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # also run as a file (python bot/serving/launcher.py)
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.config import Settings, SettingsError, load_env_file  # noqa: E402

TOKEN_HEADER = "X-Netbot-Action-Token"
LOGGING_CONFIG = Path(__file__).resolve().parent / "logging.yml"
CREDENTIALS_TEMPLATE = ROOT / "credentials.yml"
DEFAULT_ENDPOINTS = ROOT / "endpoints.yml"
log = logging.getLogger("bot.serving.launcher")


class ConfigError(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"launcher: {message}")


_QUIET_CATEGORIES = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
_QUIET = ("ignore::DeprecationWarning", "ignore::PendingDeprecationWarning", "ignore::FutureWarning")


def _ours(filename: str) -> bool:
    return any(str(filename).startswith(str(ROOT / folder) + os.sep) for folder in ("bot", "actions"))


def quiet_library_warnings(env: MutableMapping[str, str]) -> None:
    """Hide deprecation warnings, and user warnings raised outside our own code (bot/, actions/);
    child processes (Sanic workers) inherit the same through PYTHONWARNINGS.
    NETBOT_LIBRARY_WARNINGS=1 shows them all.

    Filters alone do not hold: Sanic and Rasa insert their own ("once") in front of them when
    imported. So the warnings are also dropped where they are shown."""
    if load_settings(env).library_warnings:
        return
    for category in _QUIET_CATEGORIES:
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(?!(bot|actions)(\.|$))")
    env.setdefault("PYTHONWARNINGS", ",".join(_QUIET))
    show = warnings.showwarning

    def show_ours(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if issubclass(category, _QUIET_CATEGORIES) or (issubclass(category, UserWarning) and not _ours(filename)):
            return
        show(message, category, filename, lineno, file, line)

    warnings.showwarning = show_ours


def load_settings(env: Mapping[str, str]) -> Settings:
    try:
        return Settings.from_env(env)
    except SettingsError as error:
        raise ConfigError(str(error)) from None


def endpoints_source(env: Mapping[str, str]) -> Path:
    config = load_settings(env)
    if config.endpoints:
        return config.endpoints
    profile = config.profile.strip()
    if profile and profile != "default":
        path = ROOT / f"endpoints.{profile}.yml"
        if not path.exists():
            raise ConfigError(f"NETBOT_PROFILE={profile}: {path.name} does not exist")
        return path
    return DEFAULT_ENDPOINTS


def _action_url(config: Settings, source: Path, current: str) -> str:
    """Where Rasa calls the action server: NETBOT_ACTIONS_URL; for endpoints.yml, ACTIONS_PORT on
    loopback; otherwise what the file says (the scale profile's ${NETBOT_ACTIONS_URL} included)."""
    if config.actions_url:
        return config.actions_url
    if source.resolve() == DEFAULT_ENDPOINTS.resolve():
        return f"http://127.0.0.1:{config.actions_port}/webhook"
    return current


def endpoints_file(env: Mapping[str, str], build_dir: Optional[Path] = None) -> Path:
    """The endpoints file Rasa reads: the profile's, derived when the action server's address or
    token differs from what it says.

    The derived file holds the placeholder ${NETBOT_ACTIONS_TOKEN}, never the token itself.
    """
    config = load_settings(env)
    source = endpoints_source(env)
    data: Dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    action = data.get("action_endpoint")
    if config.actions_token and (not isinstance(action, dict) or not action.get("url")):
        raise ConfigError(f"{source}: NETBOT_ACTIONS_TOKEN is set but there is no action_endpoint url")
    changed = False
    if isinstance(action, dict) and action.get("url"):
        url = _action_url(config, source, str(action["url"]))
        if url != action["url"]:
            action["url"], changed = url, True
        if config.actions_token:
            action.setdefault("headers", {})[TOKEN_HEADER] = "${NETBOT_ACTIONS_TOKEN}"
            changed = True
    if not changed:
        return source
    text = f"# Generated by bot/serving/launcher.py from {source}: do not edit.\n" + yaml.safe_dump(data, sort_keys=False)
    directory = build_dir or config.build_dir
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"endpoints-{hashlib.sha256(text.encode()).hexdigest()[:12]}.yml"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    return target


def credentials_target(config: Settings) -> Path:
    """The credentials file Rasa reads: NETBOT_CREDENTIALS, or the one rendered at start."""
    return config.credentials or config.build_dir / "credentials.yml"


def render_credentials(env: Mapping[str, str]) -> Path:
    """credentials.yml + the environment -> the file Rasa reads (unless NETBOT_CREDENTIALS names
    a ready one); says which channels are on."""
    from bot.serving import credentials

    config = load_settings(env)
    target = credentials_target(config)
    if config.credentials:
        return target
    enabled, disabled = credentials.write(CREDENTIALS_TEMPLATE, target, env)
    for line in credentials.summary(enabled, disabled):
        print(line, file=sys.stderr, flush=True)
    return target


def cors_origins(env: Mapping[str, str]) -> List[str]:
    from bot.serving.channels.cors import allowed_origins

    origins = allowed_origins(env)
    if "*" in origins and not load_settings(env).cors_allow_any:
        raise ConfigError("NETBOT_CORS_ORIGINS contains '*': list the origins (or set NETBOT_CORS_ALLOW_ANY=1)")
    return origins


def api_arguments(config: Settings) -> List[str]:
    """--enable-api and its authentication, or nothing (the HTTP API is off by default)."""
    if not config.enable_api:
        return []
    token, jwt_secret = config.api_token, config.jwt_secret
    if not token and not jwt_secret:
        raise ConfigError(
            "NETBOT_ENABLE_API is on but neither NETBOT_API_TOKEN nor NETBOT_JWT_SECRET is set: "
            "refusing to open the HTTP API without authentication"
        )
    if token and len(token) < 16:
        raise ConfigError("NETBOT_API_TOKEN must be at least 16 characters")
    args = ["--enable-api"]
    if token:
        args += ["--auth-token", token]
    if jwt_secret:
        args += ["--jwt-secret", jwt_secret, "--jwt-method", config.jwt_method]
    return args


def rasa_arguments(env: Mapping[str, str], command: str = "run") -> List[str]:
    """`rasa run ...` (or `rasa shell ...`) arguments for this environment (contains secrets:
    never print it raw). Writes nothing but a derived endpoints file when one is needed."""
    config = load_settings(env)
    # The terminal chat listens on loopback only: it is one person's session.
    interface = "127.0.0.1" if command == "shell" else config.rasa_host
    args = [
        command,
        "--model",
        str(config.model),
        "--interface",
        interface,
        "--port",
        str(config.rasa_port),
        "--credentials",
        str(credentials_target(config)),
        "--endpoints",
        str(endpoints_file(env)),
        "--logging-config-file",
        str(LOGGING_CONFIG),
        "--cors",
        *cors_origins(env),
    ]
    return args + api_arguments(config)


def masked(args: List[str]) -> List[str]:
    out, hide = [], False
    for arg in args:
        out.append("***" if hide else arg)
        hide = arg in ("--auth-token", "--jwt-secret")
    return out


# Rasa warnings that quote what a user typed (a "/payload" with an unknown intent or entity,
# or arguments it cannot parse): only their first words are logged.
_ECHOING_WARNINGS = ("Failed to parse arguments in line", "Parsed an intent", "Parsed an entity", "Invalid entity specification")


def keep_user_text_out_of_warnings() -> None:
    """Warnings go to the log too; those that quote user input lose the quote."""
    show = warnings.showwarning

    def redacted(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        text = str(message)
        for prefix in _ECHOING_WARNINGS:
            if text.startswith(prefix):
                message = f"{prefix} ... (the rest quotes user input and is not logged)"
                break
        show(message, category, filename, lineno, file, line)

    warnings.showwarning = redacted


def validate_action_results_once_compiled() -> None:
    """Rasa checks every action-server response with `jsonschema.validate(result, schema)`,
    which first re-checks the (constant) schema against the JSON Schema meta-schema and builds a
    new validator (jsonschema 4.17, pinned). Here the schema is checked and the validator built
    once; `validate` would then run exactly `best_match(validator.iter_errors(result))`, so a
    valid response passes as before, and an invalid one is handed to Rasa's own method, which
    raises the same ValidationError with Rasa's message (tests/test_serve.py)."""
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    rasa_validate = RemoteAction._validate_action_result

    def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
        if best_match(validator.iter_errors(result)) is None:
            return True
        return rasa_validate(self, result)

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


SPEEDUPS = ("validator", "sqlite")


def speedups(env: Mapping[str, str]) -> List[str]:
    """NETBOT_SPEEDUPS: which of SPEEDUPS to install (default all; "none"; or a comma list)."""
    value = load_settings(env).speedups.strip().lower()
    if value in ("", "all"):
        return list(SPEEDUPS)
    chosen = [name.strip() for name in value.split(",") if name.strip() and name.strip() != "none"]
    unknown = sorted(set(chosen) - set(SPEEDUPS))
    if unknown:
        raise ConfigError(f"NETBOT_SPEEDUPS: unknown {', '.join(unknown)} (known: {', '.join(SPEEDUPS)}, all, none)")
    return chosen


def install_speedups(env: Mapping[str, str]) -> None:
    """Same behaviour as stock Rasa, less work per turn (each measured: results/bench.md)."""
    chosen = speedups(env)
    if "validator" in chosen:
        validate_action_results_once_compiled()
    if "sqlite" in chosen:
        from bot.serving.stores import sqlite_tracker_store

        sqlite_tracker_store.install()


def _common_environment(env: MutableMapping[str, str], log_level: str = "INFO") -> Settings:
    """Check every setting and give the libraries theirs; returns the settings."""
    config = load_settings(env)
    # Sanic reads SANIC_* variables into its config: bound every request body.
    env.setdefault("SANIC_REQUEST_MAX_SIZE", str(config.max_request_bytes))
    # A request head must keep arriving: a gap longer than this closes the connection (slow clients).
    env.setdefault("SANIC_REQUEST_TIMEOUT", f"{config.request_timeout:g}")
    env.setdefault("LOG_LEVEL", config.log_level or log_level)
    env.setdefault("LOG_LEVEL_LIBRARIES", config.log_level_libraries)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return load_settings(env)  # with LOG_LEVEL as chosen here


def rasa_logging(config: Settings) -> None:
    """In the Rasa process Rasa is a library too: its records (and the root logger's, where it says
    "Starting Rasa server") at LOG_LEVEL_LIBRARIES; ours at LOG_LEVEL. Called once Rasa has read
    our logging file and set its own levels (it sets the `rasa` logger from LOG_LEVEL)."""
    library = config.log_level_libraries.upper()
    logging.getLogger().setLevel(library)
    logging.getLogger("rasa").setLevel(library)
    for name in ("bot", "actions"):
        logging.getLogger(name).setLevel((config.log_level or "INFO").upper())


def gate_rasa_app(config: Optional[Settings] = None, announce: bool = False) -> None:
    """Every Sanic app Rasa builds gets the request gate (bot/serving/http_gate.py); with `config`,
    our logging levels, and with `announce` one line once the model is loaded and Rasa answers."""
    import rasa.core.run as rasa_run

    from bot.serving import http_gate

    configure_app = rasa_run.configure_app

    def configure_gated_app(*args: Any, **kwargs: Any) -> Any:
        app = http_gate.install(configure_app(*args, **kwargs))
        if config is not None:
            rasa_logging(config)
        if config is not None and announce:
            shown = "localhost" if config.rasa_host in ("0.0.0.0", "::", "127.0.0.1") else config.rasa_host
            where = f"http://{shown}:{config.rasa_port}"

            async def ready(*_: Any) -> None:
                log.info("Rasa server ready on %s (REST %s/webhooks/rest/webhook, socket.io for the widget)", where, where)

            app.register_listener(ready, "after_server_start")
        return app

    rasa_run.configure_app = configure_gated_app  # type: ignore[assignment]


def install_rasa_patches(config: Settings, env: Mapping[str, str], announce: bool = False) -> None:
    """What the Rasa process gets on top of stock Rasa, for `rasa run` and `rasa shell` alike."""
    import rasa.core.actions.action as rasa_action

    from bot.serving import action_call

    keep_user_text_out_of_warnings()
    gate_rasa_app(config, announce)
    action_call.install()
    install_speedups(env)
    # Rasa waits up to DEFAULT_REQUEST_TIMEOUT (5 minutes) for the action server; a person
    # should not. After this many seconds the action counts as failed, Rasa carries on and the
    # channel answers with the safe apology (bot/serving/channels).
    rasa_action.DEFAULT_REQUEST_TIMEOUT = config.action_timeout  # type: ignore[attr-defined]


def _print_rasa(args: List[str], env: Mapping[str, str]) -> None:
    from bot.serving import credentials

    print("rasa " + " ".join(masked(args)))
    config = load_settings(env)
    if config.credentials:
        print(f"credentials: {config.credentials} (NETBOT_CREDENTIALS, used as it is)")
    else:
        template = yaml.safe_load(CREDENTIALS_TEMPLATE.read_text(encoding="utf-8")) or {}
        enabled, disabled = credentials.render(template, env)
        print(f"credentials: rendered at start from {CREDENTIALS_TEMPLATE.name} into {credentials_target(config)}")
        print("\n".join(credentials.summary(enabled, disabled)))


def run_rasa(print_only: bool, command: str = "run") -> int:
    # A terminal chat: only warnings and errors between the bot's lines, unless LOG_LEVEL says otherwise.
    config = _common_environment(os.environ, log_level="WARNING" if command == "shell" else "INFO")
    args = rasa_arguments(os.environ, command)
    if print_only:
        _print_rasa(args, os.environ)
        return 0
    render_credentials(os.environ)
    install_rasa_patches(config, os.environ, announce=command == "run")
    os.chdir(ROOT)
    sys.argv = ["rasa", *args]
    from rasa.__main__ import main

    main()
    return 0


def _configure_logging(settings: Settings) -> None:
    config = yaml.safe_load(LOGGING_CONFIG.read_text(encoding="utf-8"))
    logging.config.dictConfig(config)
    level = (settings.log_level or "INFO").upper()
    for name in ("actions", "bot", "__main__"):
        logging.getLogger(name).setLevel(level)
    library_level = settings.log_level_libraries.upper()
    for name in ("rasa_sdk", "sanic.root", "sanic.error", "sanic.access"):
        logging.getLogger(name).setLevel(library_level)


def _warm_up() -> None:
    """Load the knowledge base, the spaCy pipeline and the retrieval index before serving."""
    from bot.dialogue import Turn, respond

    respond(Turn(text="what is a neuroendocrine tumour", intent="ask_definition", confidence=1.0))
    respond(Turn(text="warm up the search index", intent="nlu_fallback", confidence=0.1))


def create_action_app(token: Optional[str]) -> Any:
    from rasa_sdk.endpoint import create_app
    from sanic import response
    from sanic.exceptions import SanicException
    from sanic.helpers import STATUS_CODES

    from bot.serving import http_gate

    # No CORS origins: browsers have no business calling the action server.
    app = http_gate.install(create_app("actions", cors_origins=None))

    @app.exception(SanicException)
    async def keep_http_status(request: Any, exception: SanicException) -> Any:
        # rasa_sdk's catch-all handler answers every error with a 500 carrying the error text;
        # an HTTP error (413 body too large, 404, 405 ...) keeps its own status, without echoing anything.
        status = int(getattr(exception, "status_code", 500) or 500)
        return response.json({"error": STATUS_CODES.get(status, b"Error").decode()}, status=status)

    if token:
        expected = token.encode()

        @app.middleware("request")
        async def require_token(request: Any) -> Any:
            # /health is open; a request refused before routing (bad framing, 404) keeps its error.
            if request.path == "/health" or request.route is None:
                return None
            given = request.headers.get(TOKEN_HEADER, "").encode()
            if not hmac.compare_digest(given, expected):
                return response.json({"error": "unauthorised"}, status=401)
            return None

    return app


def _keep_tensorflow_out() -> None:
    """The action server runs no TensorFlow model, but thinc (under spaCy) imports TensorFlow
    whenever it is installed, and Rasa installs it: over 300 MB of memory for nothing. A None
    entry in sys.modules makes that import fail, and thinc carries on without it (results/bench.md)."""
    if "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]


def run_actions(print_only: bool) -> int:
    _keep_tensorflow_out()
    config = _common_environment(os.environ)
    host, port = config.actions_host, config.actions_port
    token = config.actions_token or None
    if print_only:
        print(f"action server on http://{host}:{port} (token check {'on' if token else 'off'})")
        return 0
    os.chdir(ROOT)
    _configure_logging(config)
    from rasa_sdk import utils as sdk_utils

    app = create_action_app(token)
    _warm_up()
    log.info("Action server on http://%s:%s (token check %s)", host, port, "on" if token else "off")
    app.run(host, port, workers=sdk_utils.number_of_sanic_workers(), access_log=False)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("process", choices=["rasa", "actions", "shell"])
    parser.add_argument("--print", action="store_true", help="print the configuration and exit")
    args = parser.parse_args(argv)
    load_env_file(os.environ)
    quiet_library_warnings(os.environ)
    if args.process == "actions":
        return run_actions(args.print)
    return run_rasa(args.print, "shell" if args.process == "shell" else "run")


if __name__ == "__main__":
    raise SystemExit(main())
