"""The parser's LALR tables, computed once and shipped as JSON.

Building the LALR tables from ``grammar/matcalc.lark`` costs about 100 ms,
more than a small derivation; a command-line call would pay it every time.
``python -c "import matcalc.language.parser as p; p.write_tables()"`` writes
the tables Lark computes to ``grammar/matcalc.tables.json``, with the SHA-256 of the grammar text and
Lark's version.  :func:`stored_parser` uses them only when both still match, so an
edited grammar or another Lark is never parsed with stale tables (it is
built from the grammar instead).  JSON, not Lark's own pickle cache: reading
a shipped file must not be able to run code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import lark
from lark import Lark
from lark.grammar import Rule
from lark.lark import _LOAD_ALLOWED_OPTIONS
from lark.lexer import TerminalDef

from ..resources import data_file

GRAMMAR = data_file("grammar", "matcalc.lark")
TABLES = data_file("grammar", "matcalc.tables.json")


def fingerprint(grammar_text: str) -> dict:
    """What the tables were computed from."""
    return {"grammar_sha256": hashlib.sha256(grammar_text.encode("utf-8")).hexdigest(),
            "lark": lark.__version__}


def to_json(parser: Lark, grammar_text: str) -> str:
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    # Options given again at load time (the post-lexer) are not data.
    data["options"] = {k: v for k, v in data["options"].items() if k not in _LOAD_ALLOWED_OPTIONS}
    return json.dumps({"made_from": fingerprint(grammar_text), "data": data, "memo": memo},
                      sort_keys=True, separators=(",", ":"))


def _integer_keys(mapping: dict) -> dict:
    # JSON writes the integer keys of the parse table and the memo as strings.
    return {int(key): value for key, value in mapping.items()}


def stored_parser(grammar_text: str, **options) -> Lark | None:
    """The parser from the shipped tables, or None when they are missing or stale."""
    if not TABLES.is_file():
        return None
    stored = json.loads(TABLES.read_text(encoding="utf-8"))
    if stored["made_from"] != fingerprint(grammar_text):
        return None
    data = stored["data"]
    table = data["parser"]["parser"]
    table["tokens"] = _integer_keys(table["tokens"])
    table["states"] = {int(state): _integer_keys(actions) for state, actions in table["states"].items()}
    return Lark._load_from_dict(data, _integer_keys(stored["memo"]), **options)


def write(parser: Lark, grammar_text: str, path: Path = TABLES) -> None:
    path.write_text(to_json(parser, grammar_text) + "\n", encoding="utf-8")

