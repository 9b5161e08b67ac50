"""bot/serving/launcher.py, the one launch path: what it derives at start, without a model.

(The speed-ups it installs: tests/test_serve.py; its security switches: tests/test_security.py;
the image that runs it: tests/test_image.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.serving import launcher, stack


def test_every_way_of_starting_the_servers_goes_through_the_launcher():
    procfile = dict(line.split(":", 1) for line in (PROJECT_ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert procfile["rasa"].endswith("-m bot.serving.launcher rasa")
    assert procfile["actions"].endswith("-m bot.serving.launcher actions")
    assert stack.LAUNCHER[1:] == ["-m", "bot.serving.launcher"]
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nshell:") :].split("\n\n", 1)[0].split("\n", 2)[2]
    assert "bot.serving.launcher actions" in recipe and "bot.serving.launcher shell" in recipe
    assert "bin)/rasa" not in recipe.lower()
    # No Python outside the launcher starts `rasa run` for our bot (bench/run.py's peer is Rasa's starter bot).
    for folder in ("bot", "evaluation", "bench", "tests"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path.name in ("launcher.py", "test_launcher.py") or path.as_posix().endswith("bench/run.py"):
                continue
            assert '"run", "--model"' not in text and "'rasa', 'run'" not in text, path


def test_credentials_are_rendered_at_start_from_the_environment(tmp_path: Path):
    env = {"NETBOT_BUILD_DIR": str(tmp_path), "SLACK_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    target = launcher.render_credentials(env)
    assert target == tmp_path / "credentials.yml"
    rendered = yaml.safe_load(target.read_text())
    assert rendered["bot.serving.channels.slack.SafeSlackInput"]["slack_token"] == "xoxb-1"
    assert "bot.serving.channels.telegram.SafeTelegramInput" not in rendered
    # A ready file named by NETBOT_CREDENTIALS is used as it is.
    ready = tmp_path / "ready.yml"
    ready.write_text("{}\n")
    assert launcher.render_credentials({**env, "NETBOT_CREDENTIALS": str(ready)}) == ready
    assert ready.read_text() == "{}\n"


def test_the_arguments_name_the_rendered_file_and_write_nothing_else(tmp_path: Path):
    args = launcher.rasa_arguments({"NETBOT_BUILD_DIR": str(tmp_path)})
    assert args[args.index("--credentials") + 1] == str(tmp_path / "credentials.yml")
    assert args[args.index("--endpoints") + 1] == str(PROJECT_ROOT / "endpoints.yml")
    assert list(tmp_path.iterdir()) == []


def test_the_action_server_port_reaches_the_endpoints(tmp_path: Path):
    args = launcher.rasa_arguments({"NETBOT_BUILD_DIR": str(tmp_path), "ACTIONS_PORT": "5077"})
    derived = yaml.safe_load(Path(args[args.index("--endpoints") + 1]).read_text())
    assert derived["action_endpoint"]["url"] == "http://127.0.0.1:5077/webhook"
    assert derived["tracker_store"] == yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())["tracker_store"]
    explicit = launcher.rasa_arguments({"NETBOT_BUILD_DIR": str(tmp_path), "NETBOT_ACTIONS_URL": "http://actions:5055/webhook"})
    assert (
        yaml.safe_load(Path(explicit[explicit.index("--endpoints") + 1]).read_text())["action_endpoint"]["url"]
        == "http://actions:5055/webhook"
    )


def test_the_shell_runs_rasa_shell_on_loopback_with_the_same_settings(tmp_path: Path):
    env = {"NETBOT_BUILD_DIR": str(tmp_path), "RASA_PORT": "5099", "NETBOT_CORS_ORIGINS": "https://example.org"}
    run, shell = launcher.rasa_arguments(env), launcher.rasa_arguments(env, "shell")
    assert run[0] == "run" and shell[0] == "shell"
    assert shell[shell.index("--interface") + 1] == "127.0.0.1"
    assert [a for a in shell[1:] if a != "127.0.0.1"] == [a for a in run[1:] if a != "0.0.0.0"]


def test_a_bad_setting_stops_the_start_with_its_name():
    result = subprocess.run(
        [sys.executable, "-m", "bot.serving.launcher", "actions", "--print"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "NETBOT_ACTION_TIMEOUT": "soon", "NETBOT_ENV_FILE": "none"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "NETBOT_ACTION_TIMEOUT='soon'" in result.stderr


def test_library_warnings_are_quiet_and_ours_are_not():
    ours = PROJECT_ROOT / "bot" / "dialogue.py"
    code = (
        "import os, warnings\n"
        "from bot.serving import launcher\n"
        "launcher.quiet_library_warnings(os.environ)\n"
        # What Sanic and Rasa do when imported: their own filters go in front of ours.
        "warnings.filterwarnings('once', category=DeprecationWarning)\n"
        "warnings.filterwarnings('once', category=UserWarning)\n"
        "warnings.warn_explicit('library deprecation', DeprecationWarning, 'sanic_cors/extension.py', 1, module='sanic_cors.extension')\n"
        "warnings.warn_explicit('library user warning', UserWarning, 'rasa/shared/utils/io.py', 1, module='rasa.shared.utils.io')\n"
        f"warnings.warn_explicit('our warning', UserWarning, {str(ours)!r}, 1, module='bot.dialogue')\n"
        "print(os.environ['PYTHONWARNINGS'])\n"
    )
    env = {**os.environ, "NETBOT_LIBRARY_WARNINGS": "", "PYTHONWARNINGS": ""}
    env.pop("PYTHONWARNINGS")
    quiet = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert "our warning" in quiet.stderr and "library" not in quiet.stderr, quiet.stderr
    assert "ignore::DeprecationWarning" in quiet.stdout
    loud = subprocess.run(
        [sys.executable, "-W", "default", "-c", code],
        cwd=PROJECT_ROOT,
        env={**env, "NETBOT_LIBRARY_WARNINGS": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "library deprecation" in loud.stderr and "library user warning" in loud.stderr
