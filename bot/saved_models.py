"""The life of a small model bot/ trains from data/: saved by `make build` under models/, used
when its fingerprint matches the current data, otherwise trained in memory once per process (a
clone that skipped `make build`, or data edited since, still answers from the current data)."""

from __future__ import annotations

import argparse
import hashlib
import logging
import pickle
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

logger = logging.getLogger(__name__)


def data_fingerprint(code: Path, files: Sequence[Path], version: str = "") -> str:
    """Changes whenever the training data, the module that trains on it or scikit-learn changes."""
    import sklearn

    digest = hashlib.sha256(f"{version}|{sklearn.__version__}".encode())
    digest.update(code.read_bytes())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def save(model: Any, path: Path) -> None:
    """Written to a temporary name first, so that a reader never sees half a model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(path)


def load(path: Path, kind: type) -> Any:
    """The saved model at `path` if it is readable and of `kind`, else None."""
    try:
        model = pickle.loads(path.read_bytes()) if path.exists() else None  # our own build output
    except Exception:  # unreadable or incompatible: rebuilt, never trusted
        logger.warning("%s unreadable; training in memory", path)
        return None
    return model if isinstance(model, kind) else None


_models: Dict[str, Tuple[str, Any]] = {}  # model file -> (fingerprint, model)


def current(path: Path, expected: str, kind: type, train: Callable[[], Any]) -> Any:
    """The saved model at `path` when its `fingerprint` is `expected`, else `train()` (kept)."""
    held = _models.get(str(path))
    if held is None or held[0] != expected:
        model = load(path, kind)
        if model is None or getattr(model, "fingerprint", None) != expected:
            started = time.perf_counter()
            model = train()
            logger.warning(
                "%s missing or stale (data changed): trained in memory in %.1f s; `make build` saves it",
                path,
                time.perf_counter() - started,
            )
        held = (expected, model)
        _models[str(path)] = held
    return held[1]


@lru_cache(maxsize=16)
def _fingerprint_of(of: Callable[[Sequence[Path]], str], stamp: Tuple[Tuple[str, int, int], ...]) -> str:
    return of([Path(name) for name, _, _ in stamp])


def stamped_fingerprint(of: Callable[[Sequence[Path]], str], files: Sequence[Path]) -> str:
    """`of(files)`, recomputed only when a file's size or time changes (a turn need not read and
    hash the training data to know its model is current)."""
    return _fingerprint_of(of, tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))


def build_command(argv: Optional[Sequence[str]], doc: Optional[str], train: Callable[[], Any], default: Path, what: str) -> int:
    """`python -m <module> build [--out PATH]`: train the model and save it."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="train and save the model")
    build.add_argument("--out", type=Path, default=default)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    model = train()
    save(model, args.out)
    print(f"{what}: fingerprint {model.fingerprint}, {time.perf_counter() - started:.1f} s -> {args.out}")
    return 0
