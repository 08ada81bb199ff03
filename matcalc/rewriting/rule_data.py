"""The parsed rule catalog, shipped as data beside ``rules/*.rules``.

Reading a rule parses its line with the grammar, infers its shapes and puts
its left side in canonical form: about half a millisecond a rule, a fifth of
a small command's time.  The result is data (expression trees, shapes,
words), so it is written once to ``rules/parsed.txt`` (a rule a line: its
name and its JSON) and a catalog reads a rule from there when the stored
line is the line in the file; a rule edited since is parsed again.  JSON,
not a pickle: reading a shipped file must not be able to run code.  ``python -c "from matcalc.rewriting import catalog;
catalog.write_parsed_rules()"`` remakes the file after an edit of the rules or
of the code that reads them, and ``tests/test_rule_data.py`` fails while it
is stale.
"""

from __future__ import annotations

import json
from dataclasses import fields
from fractions import Fraction
from pathlib import Path

from ..language import ast as A
from ..shapes.dims import Dim
from ..shapes.env import SymbolType, TypeEnv

FILE_NAME = "parsed.txt"

# Node classes by name: a stored tree names only classes of the language.
_NODE_CLASSES = {cls.__name__: cls for cls in vars(A).values()
                 if isinstance(cls, type) and issubclass(cls, A.Expr) and cls is not A.Expr}


def encode(value):
    """A tree (or a value in one) as JSON data; a tuple is a list, and a
    number or a size is a one-key object saying which."""
    if isinstance(value, A.Expr):
        data = {"node": type(value).__name__}
        for f in fields(value):
            item = getattr(value, f.name)
            if not (type(item) is type(f.default) and item == f.default):
                data[f.name] = encode(item)         # defaults are left out (most spans and flags)
        return data
    if isinstance(value, tuple):
        return [encode(item) for item in value]
    if isinstance(value, Fraction):
        return {"fraction": [value.numerator, value.denominator]}
    if isinstance(value, Dim):
        return {"dim": [value.coef, list(value.names)]}
    if value is None or isinstance(value, (str, bool, int)):
        return value
    raise TypeError(f"a rule holds a {type(value).__name__}, which rule_data cannot store")


def decode(data):
    if isinstance(data, list):
        return tuple(decode(item) for item in data)
    if isinstance(data, dict):
        if "node" in data:
            return _NODE_CLASSES[data["node"]](**{key: decode(item) for key, item in data.items()
                                                  if key != "node"})
        if "fraction" in data:
            return Fraction(*data["fraction"])
        if "dim" in data:
            coef, names = data["dim"]
            return Dim(coef, tuple(names))
    return data


def _encode_env(env: TypeEnv) -> dict:
    return {"symbols": {name: {"kind": t.kind, "rows": encode(t.rows), "cols": encode(t.cols),
                               "flags": [flag for flag in ("symmetric", "positive_definite", "probability")
                                         if getattr(t, flag)]}
                        for name, t in env.symbols.items()},
            "free_dims": env.free_dims}


def _decode_env(data: dict) -> TypeEnv:
    symbols = {name: SymbolType(t["kind"], decode(t["rows"]), decode(t["cols"]),
                                **{flag: True for flag in t["flags"]})
               for name, t in data["symbols"].items()}
    return TypeEnv(symbols, dict(data["free_dims"]))


def encode_rule(rule, line: str) -> dict:
    """A read rule with the line it was read from (its pattern only where
    canonical form changed the left side)."""
    data = {"line": line, "lhs": encode(rule.lhs), "rhs": encode(rule.rhs), "explanation": rule.explanation,
            "conditions": {name: sorted(words) for name, words in rule.conditions.items()},
            "env": _encode_env(rule.env), "source": rule.source, "ruleset": rule.ruleset}
    pattern = encode(rule.pattern)
    if pattern != data["lhs"]:
        data["pattern"] = pattern
    return data


def decode_rule(name: str, text: str, line: str, ruleset: str, rule_class):
    """The stored rule, or None when it was stored from another line or file."""
    data = json.loads(text)
    if (data["line"], data["ruleset"]) != (line, ruleset):
        return None
    lhs = decode(data["lhs"])
    pattern = decode(data["pattern"]) if "pattern" in data else lhs
    return rule_class(name, lhs, decode(data["rhs"]), data["explanation"],
                      {variable: set(words) for variable, words in data["conditions"].items()},
                      _decode_env(data["env"]), data["source"], data["ruleset"], pattern)


def stored(directory: Path) -> dict:
    """{rule name: its stored form, as JSON text} from the directory's file
    ({} without one).  One rule a line, its name first: a derivation decodes
    only the rules it looks up, not the whole catalog."""
    path = directory / FILE_NAME
    if not path.is_file():
        return {}
    return dict(line.split(" ", 1) for line in path.read_text(encoding="utf-8").splitlines())


def to_text(catalog) -> str:
    """Every rule of ``catalog``, read from its line now: ``name {JSON}``, a rule a line."""
    return "".join(f"{name} " + json.dumps(encode_rule(catalog.read(name), catalog.line_of(name)),
                                           ensure_ascii=False, separators=(",", ":")) + "\n"
                   for name in catalog)
