"""The image runs: deploy/Dockerfile's file set, booted the way the image boots, answers.

There is no Docker engine here, so the image is assembled the way the Dockerfile says:

  1. its COPY lines are parsed and exactly that file set (less what .dockerignore leaves out of
     the context) is copied from the project into a temporary folder standing for WORKDIR;
  2. its `pip install -c constraints.txt -r requirements.txt` step is represented by the pinned
     set already installed in the project's .venv: the folder gets its own venv
     (`python -m venv --without-pip`) whose site-packages holds a .pth file pointing at .venv's
     site-packages (`--system-site-packages` would see the base interpreter's, not .venv's), and
     every pin of requirements.txt is checked to be the installed version;
  3. both servers start from that folder with the Dockerfile's ENTRYPOINT + CMD (`rasa`, and
     `actions` as the manifests give it), its ENV (WORKDIR paths mapped to the folder) and
     run-time variables as a Kubernetes Deployment would give them (ports; the Slack channel's
     Secret), in an environment that holds nothing of this project's;
  4. "what is a NET?" over REST must carry the answer, the disclaimer ("not a doctor") and the
     referral; the credentials rendered at start must have switched the Slack channel on.

Not represented: the base image itself, the `netbot` user (USER; the servers run as whoever runs
the test) and the pip download. Slow (two servers boot): `make test-image`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
import requests
import yaml

from bot.config import PROJECT_ROOT
from bot.serving.stack import MODEL, free_port, stop_process, wait_for

pytestmark = pytest.mark.slow

DOCKERFILE = PROJECT_ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"


@dataclass
class Image:
    """What a Dockerfile says, for the instructions this project's uses."""

    env: Dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    copies: List[Tuple[List[str], str]] = field(default_factory=list)
    runs: List[str] = field(default_factory=list)
    entrypoint: List[str] = field(default_factory=list)
    cmd: List[str] = field(default_factory=list)
    user: str = ""


def instructions(text: str) -> Iterator[Tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not logical and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        name, _, rest = logical.partition(" ")
        yield name.upper(), rest.strip()
        logical = ""


def parse(text: str) -> Image:
    image = Image()
    for name, args in instructions(text):
        if name == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                image.env[key] = value
        elif name == "WORKDIR":
            image.workdir = args
        elif name == "COPY":
            assert not args.startswith("--"), f"COPY flags are not represented: {args}"
            parts = json.loads(args) if args.startswith("[") else shlex.split(args)
            image.copies.append((parts[:-1], parts[-1]))
        elif name == "RUN":
            image.runs.append(args)
        elif name in ("ENTRYPOINT", "CMD"):
            assert args.startswith("["), f"{name} must be in exec form (JSON), as signals need: {args}"
            setattr(image, name.lower(), json.loads(args))
        elif name == "USER":
            image.user = args
        else:
            assert name in ("FROM", "EXPOSE", "LABEL", "ARG"), f"Dockerfile instruction {name} is not represented here"
    return image


def ignored_patterns() -> List[str]:
    patterns = [line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert not [p for p in patterns if p.startswith("!")], "exceptions (!) in .dockerignore are not represented"
    return [p.rstrip("/") for p in patterns]


def is_ignored(relative: str, patterns: List[str]) -> bool:
    """Docker's rule for the subset used: a pattern matching a path or one of its parents."""
    parts = relative.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        for pattern in patterns:
            bare = pattern.removeprefix("**/")
            if fnmatch.fnmatchcase(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatchcase(parts[depth - 1], bare)
            ):
                return True
    return False


def assemble(image: Image, app: Path) -> List[str]:
    """Copy what the COPY lines name from the build context (the project) to `app`; the files copied."""
    patterns, copied = ignored_patterns(), []
    for sources, dest in image.copies:
        # dest is relative to WORKDIR, or absolute inside the image.
        target_dir = app / (Path(dest).relative_to(image.workdir) if dest.startswith("/") else Path(dest))
        for source in sources:
            origin = PROJECT_ROOT / source
            assert origin.exists(), f"COPY {source}: not in the build context (run `make build train` first)"
            if origin.is_dir():  # Docker copies a folder's contents, not the folder itself
                pairs = [(p, target_dir / p.relative_to(origin)) for p in sorted(origin.rglob("*")) if p.is_file()]
            elif len(sources) == 1 and not dest.endswith("/"):
                pairs = [(origin, target_dir)]
            else:
                pairs = [(origin, target_dir / origin.name)]
            for path, target in pairs:
                if is_ignored(path.relative_to(PROJECT_ROOT).as_posix(), patterns):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
                copied.append(target.relative_to(app).as_posix())
    return copied


def pins(requirements: Path) -> Dict[str, str]:
    found = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[name.split("[", 1)[0].strip()] = version.strip()
    return found


def represent_runs(image: Image, app: Path) -> None:
    """Each RUN of the Dockerfile, done (or stood in for) in `app`; an unknown one fails the test."""
    for run in image.runs:
        if run.startswith("python -m venv .venv"):
            assert "-c constraints.txt -r requirements.txt" in run, run
            for name, version in pins(app / "requirements.txt").items():
                assert metadata.version(name) == version, f"{name}: {metadata.version(name)} installed, {version} pinned"
            base = Path(sys.executable).resolve()  # the interpreter .venv was made from
            subprocess.run([str(base), "-m", "venv", "--without-pip", str(app / ".venv")], check=True)
            purelib = Path(sysconfig.get_paths()["purelib"])  # the project's .venv (this interpreter's)
            version = f"python{sys.version_info.major}.{sys.version_info.minor}"
            site = app / ".venv" / "lib" / version / "site-packages"
            # addsitedir (not a bare path line) so .venv's own .pth files are processed too.
            (site / "netbot-pinned-packages.pth").write_text(f"import site; site.addsitedir({str(purelib)!r})\n")
        elif run.startswith("useradd "):
            continue  # the user is not represented: the servers run as this test's user
        elif run.startswith("mkdir -p "):
            for folder in shlex.split(run.split("&&", 1)[0])[2:]:
                (app / folder).mkdir(parents=True, exist_ok=True)
        else:
            raise AssertionError(f"RUN {run!r} is not represented in tests/test_image.py")


def image_environment(image: Image, app: Path, runtime: Dict[str, str]) -> Dict[str, str]:
    """The container's environment: the Dockerfile's ENV (WORKDIR mapped to `app`) and the
    run-time variables; nothing of this shell's but PATH, a HOME and the OpenBLAS switches the
    machine needs."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(app.parent / "home"), "LANG": "C.UTF-8"}
    env.update({k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")})
    for key, value in image.env.items():
        env[key] = value.replace(image.workdir, str(app)) if image.workdir != "/" else value
    env.update(runtime)
    return env


@pytest.fixture(scope="module")
def booted(tmp_path_factory) -> Iterator[Dict[str, object]]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first (make test-image does)")
    image = parse(DOCKERFILE.read_text())
    root = tmp_path_factory.mktemp("image")
    app = root / "app"
    app.mkdir()
    (root / "home").mkdir()
    copied = assemble(image, app)
    represent_runs(image, app)
    rasa_port, actions_port = free_port(), free_port()
    runtime = {
        # As deploy/kubernetes gives them (loopback here instead of the pod's 0.0.0.0).
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "NETBOT_RASA_HOST": "127.0.0.1",
        # A channel's Secret, given at run time only: the launcher must render it in.
        "SLACK_TOKEN": "xoxb-image-test",
        "SLACK_SIGNING_SECRET": "image-test-signing-secret",
    }
    env = image_environment(image, app, runtime)
    processes: List[subprocess.Popen] = []

    def start(args: List[str], log: Path) -> subprocess.Popen:
        command = [
            str(app / image.entrypoint[0]) if image.entrypoint[0].startswith(".") else image.entrypoint[0],
            *image.entrypoint[1:],
            *args,
        ]
        process = subprocess.Popen(
            command, cwd=app, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )
        processes.append(process)
        return process

    try:
        imported = subprocess.run(
            [str(app / ".venv" / "bin" / "python"), "-c", "import bot, rasa; print(bot.__file__)"],
            cwd=app,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        actions = start(["actions"], root / "actions.log")
        rasa = start(image.cmd, root / "rasa.log")
        wait_for(f"http://127.0.0.1:{actions_port}/health", 180, actions, root / "actions.log")
        wait_for(f"http://127.0.0.1:{rasa_port}/webhooks/rest/", 300, rasa, root / "rasa.log")
        yield {
            "app": app,
            "root": root,
            "copied": copied,
            "url": f"http://127.0.0.1:{rasa_port}",
            "imported": imported.stdout.strip(),
            "rasa_log": root / "rasa.log",
        }
    finally:
        for process in reversed(processes):
            stop_process(process)


def test_the_image_has_every_runtime_folder(booted):
    copied = booted["copied"]
    for needed in (
        "bot/serving/launcher.py",
        "bot/serving/nlu/intent_classifier.py",
        "bot/serving/channels/rest.py",
        "bot/serving/stores/sqlite_tracker_store.py",
        "bot/thresholds.yml",
        "actions/answer.py",
        "data/knowledge/messages.yml",
        "models/netbot.tar.gz",
        "config.yml",
        "domain.yml",
        "endpoints.yml",
        "credentials.yml",
    ):
        assert needed in copied, needed
    assert not [p for p in copied if "__pycache__" in p or p.endswith(".lock")]
    # The servers run the image's code, not the project's.
    assert booted["imported"] == str(booted["app"] / "bot" / "__init__.py")


def test_the_image_answers_what_is_a_net_with_disclaimer_and_referral(booted):
    response = requests.post(
        f"{booted['url']}/webhooks/rest/webhook",
        json={"sender": f"image-{uuid.uuid4().hex[:8]}", "message": "what is a NET?"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    text = "\n".join(str(message.get("text") or "") for message in response.json())
    assert "A neuroendocrine tumour (NET) is" in text, text[:400]
    assert "not a doctor" in text, text[-600:]
    assert "Find a NET specialist" in text, text[-600:]
    # The conversation went to the default profile's SQLite file, in the image's folder.
    assert (booted["app"] / "conversations.db").exists()


def test_channel_variables_given_at_run_time_switch_the_channel_on(booted):
    rendered = yaml.safe_load((booted["app"] / "build" / "credentials.yml").read_text())
    assert rendered["bot.serving.channels.slack.SafeSlackInput"]["slack_token"] == "xoxb-image-test"
    assert "bot.serving.channels.telegram.SafeTelegramInput" not in rendered
    assert requests.get(f"{booted['url']}/webhooks/slack/", timeout=30).status_code == 200
    assert "channels on: rest, socketio, slack" in Path(str(booted["rasa_log"])).read_text()
