"""The rule catalog: identities written in the expression language (``rules/``).

Each line of ``rules/*.rules`` is parsed by the grammar's ``rule`` start
symbol (``name: lhs = rhs where ?X: square  # explanation``), typed like a
program, and checked when loaded: a right side may only use the variables its
left side binds.  The engine is handed a catalog (``Context.catalog``), so a
test can run it on a catalog of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from functools import cached_property, lru_cache
from pathlib import Path

from ..errors import MatcalcError
from ..language import ast as A
from ..language.parser import parse_rule
from ..resources import data_dir
from ..shapes.env import TypeEnv
from ..shapes.infer import infer
from . import rule_data
from .canon import canon
from .match import size_placeholder


@dataclass(frozen=True)
class Rule:
    name: str
    lhs: A.Expr               # as written (what the rule test evaluates)
    rhs: A.Expr
    explanation: str
    conditions: dict          # "?X" → set of words: scalar, square, symmetric, probability, constant, vector
    env: TypeEnv              # shapes of the rule's own variables
    source: str
    ruleset: str = ""         # the file it comes from: differentials, trace, vec, simplify, canonical
    pattern: A.Expr | None = None   # the left side in canonical form, as the engine matches it

    def __str__(self) -> str:
        return self.source

    @cached_property
    def sized_variables(self) -> dict:
        """?X → ((0 for its rows or 1 for its columns, the dimension's name), ...)
        for each dimension of a variable that is a single name (``n``, not
        ``mn``): what the engine compares in the bindings (a rule never changes)."""
        sized = {}
        for name, info in self.env.symbols.items():
            dims = tuple((position, dim.names[0]) for position, dim in enumerate((info.rows, info.cols))
                         if dim.coef == 1 and len(dim.names) == 1)
            if dims:
                sized[name] = dims
        return sized


def read_rule(line: str, origin: str, ruleset: str = "") -> Rule:
    """One line of a rules file as a Rule, or a MatcalcError naming ``origin``."""
    try:
        text = parse_rule(line)
    except MatcalcError as error:
        raise MatcalcError(f"{origin}: {error.render()}") from None
    conditions: dict[str, set] = {}
    declarations = {}
    for condition in text.conditions:
        words = ({"constant"} if condition.constant else set()) | _condition_words(condition.declaration)
        for name in condition.names:
            conditions.setdefault(name, set()).update(words)
            if condition.declaration is not None:
                declarations[name] = condition.declaration
    try:
        (lhs, rhs), _, env = infer([text.lhs, text.rhs], line, declarations, same_shape=True)
    except MatcalcError as error:
        raise MatcalcError(f"{origin}: rule {text.name}: {error.render()}") from None
    unbound = _variables(rhs) - _variables(lhs)
    if unbound:
        raise MatcalcError(f"{origin}: rule {text.name}: the right side uses {', '.join(sorted(unbound))}, "
                           "which the left side does not bind")
    source = line.split("#")[0].strip()
    return Rule(text.name, lhs, rhs, text.explanation, conditions, env, source, ruleset, _matchable(lhs, env))


def _condition_words(declaration) -> set:
    if declaration is None:
        return set()
    words = {declaration.kind} & {"scalar", "vector"}
    if declaration.positive_definite or (declaration.square and not declaration.symmetric):
        words.add("square")
    if declaration.symmetric and not declaration.positive_definite:
        words.add("symmetric")
    if declaration.probability:
        words.add("probability")
    return words


def _variables(side: A.Expr) -> set:
    """The pattern variables of a rule side: ?A, and ?f of ?f(..) and ?f'(..)."""
    found = set()
    for node in A.walk(side):
        if isinstance(node, A.PatternVar):
            found.add(node.name)
        elif isinstance(node, A.Func) and node.name.startswith("?"):
            found.add(node.name.rstrip("'"))
    return found


def _matchable(lhs: A.Expr, env: TypeEnv) -> A.Expr:
    """The left side in canonical form, the form the engine's expressions
    have: exp(z) / (1^T exp(z)) has its scalar in front, 1^T is the row of
    ones.  (A side that canon reduces to a bare variable, ?a^T for a scalar,
    is an identity canon already applies; it stays as written.)"""
    canonical = canon(_scalar_powers(size_placeholder(lhs), env), env)
    return lhs if isinstance(canonical, A.PatternVar) else canonical


def _scalar_powers(expr: A.Expr, env: TypeEnv) -> A.Expr:
    """A scalar's entrywise power ?a .^ ?p as the power ?a^?p that canon makes
    of it in expressions (a rule cannot write ?a^?p: an exponent after ^ is a number)."""
    kids = A.children(expr)
    if kids:
        expr = A.with_children(expr, [_scalar_powers(k, env) for k in kids])
    if isinstance(expr, A.ElemPow) and env.is_scalar(expr.base):
        return A.Power(expr.base, expr.exponent)
    return expr



class Catalog(Mapping):
    """The rules of every ``*.rules`` file in a directory, by name, in file order.

    Reading the files finds every name (and refuses one defined twice); a
    rule is parsed and checked the first time it is looked up, so a
    derivation pays only for the rules it uses (tests load them all).  A
    rule whose line (and file) is the one stored in the directory's
    ``parsed.txt`` is taken from there (``rule_data``), as the line reads."""

    def __init__(self, directory: Path):
        self._directory = directory
        self._stored: dict | None = None
        self._lines: dict[str, tuple[str, str, str]] = {}
        for path in sorted(directory.glob("*.rules")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                origin = f"{path.name}:{number}"
                name = line.partition(":")[0].strip()
                if name in self._lines:
                    raise MatcalcError(f"{origin}: rule {name} defined twice")
                self._lines[name] = (line, origin, path.stem)
        self._rules: dict[str, Rule] = {}
        # What the engine works out from the rules alone (which rules can
        # match at a node type, which node types a rule needs): rules never
        # change, so it holds for every derivation, not only for one context.
        self.facts: dict = {}

    def __getitem__(self, name: str) -> Rule:
        rule = self._rules.get(name)
        if rule is None:
            if self._stored is None:
                self._stored = rule_data.stored(self._directory)
            stored = self._stored.get(name)
            line, _, ruleset = self._lines[name]
            rule = stored and rule_data.decode_rule(name, stored, line, ruleset, Rule)
            rule = self._rules[name] = rule or self.read(name)
        return rule

    def read(self, name: str) -> Rule:
        """The rule parsed and checked from its line (never the stored form)."""
        line, origin, ruleset = self._lines[name]
        rule = read_rule(line, origin, ruleset)
        if rule.name != name:
            raise MatcalcError(f"{origin}: the rule's name reads '{rule.name}', not '{name}'")
        return rule

    def line_of(self, name: str) -> str:
        return self._lines[name][0]

    def __iter__(self):
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog that ships with matcalc (``rules/``)."""
    return Catalog(data_dir("rules"))


def write_parsed_rules(directory: Path | None = None) -> None:
    """Remake ``parsed.txt`` after an edit of the rules or of how they are read."""
    directory = directory or data_dir("rules")
    path = directory / rule_data.FILE_NAME
    path.write_text(rule_data.to_text(Catalog(directory)), encoding="utf-8")
    print(f"wrote {path}")
