"""The parsed rule catalog kept between runs, so that a command does not
parse its rules again (about 25 ms of a small command's start, more than
its derivation).

The rules are parsed from ``rules/*.rules`` by the grammar, typed and put in
canonical form by the code of ``language``, ``shapes`` and ``rewriting``; the
cache is named by a fingerprint of all of these (each file's path, size and
modification time, and Python's version), so an edited rule or an edited
reader is never served stale: a new fingerprint is a new file.

The file is a pickle in the user's own cache folder (``$MATCALC_CACHE_DIR``,
else ``$XDG_CACHE_HOME/matcalc``, else ``~/.cache/matcalc``), written by
matcalc itself, as Lark's ``cache=True`` does; nothing shipped is unpickled.
``MATCALC_CACHE_DIR=off`` turns it off.  A cache that cannot be read or
written is ignored: the rules are then parsed as before.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
_READERS = ("language", "shapes", "rewriting")       # the code that turns a line into a Rule


def cache_folder() -> Path | None:
    chosen = os.environ.get("MATCALC_CACHE_DIR")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "matcalc"


def fingerprint(rules_folder: Path) -> str:
    files = sorted(rules_folder.glob("*.rules"))
    for reader in _READERS:
        files.extend(sorted((_PACKAGE / reader).rglob("*.py")))
    digest = hashlib.sha256(sys.version.encode())
    for path in files:
        status = path.stat()
        digest.update(f"{path}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def _path(rules_folder: Path) -> Path | None:
    folder = cache_folder()
    return None if folder is None else folder / f"rules-{fingerprint(rules_folder)}.pickle"


def load(rules_folder: Path) -> dict | None:
    """name → Rule as a previous run parsed them, or None."""
    try:
        path = _path(rules_folder)
        if path is None or not path.is_file():
            return None
        with open(path, "rb") as stream:
            rules = pickle.load(stream)
    except Exception:           # unreadable, truncated, from another matcalc: parse instead
        return None
    return rules if isinstance(rules, dict) else None


def store(rules_folder: Path, rules: dict) -> None:
    """Write ``rules`` for the next run (atomically: a concurrent reader sees
    the old file or the whole new one)."""
    try:
        path = _path(rules_folder)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".rules-")
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(rules, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError):
        pass
