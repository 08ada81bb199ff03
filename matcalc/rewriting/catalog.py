"""The rule catalog: identities written in the expression language (``rules/``).

Each line of ``rules/*.rules`` is parsed by the grammar's ``rule`` start
symbol (``name: lhs = rhs where ?X: square  # explanation``), typed like a
program, and checked when loaded: a right side may only use the variables its
left side binds.  The engine is handed a catalog (``Context.catalog``), so a
test can run it on a catalog of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import MatcalcError
from ..language import ast as A
from ..language.parser import parse_rule
from ..resources import data_dir
from ..shapes.env import TypeEnv
from ..shapes.infer import infer
from .canon import canon

Catalog = dict       # rule name → Rule, in the order of the files


@dataclass(frozen=True)
class Rule:
    name: str
    lhs: A.Expr
    rhs: A.Expr
    explanation: str
    conditions: dict          # "?X" → set of words: scalar, square, symmetric, probability, constant, vector
    env: TypeEnv              # shapes of the rule's own variables
    source: str

    def __str__(self) -> str:
        return self.source


def read_rule(line: str, origin: str) -> Rule:
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
    (lhs, rhs), _, env = infer([text.lhs, text.rhs], line, declarations)
    unbound = _variables(rhs) - _variables(lhs)
    if unbound:
        raise MatcalcError(f"{origin}: rule {text.name}: the right side uses {', '.join(sorted(unbound))}, "
                           "which the left side does not bind")
    source = line.split("#")[0].strip()
    return Rule(text.name, _matchable(lhs, env), rhs, text.explanation, conditions, env, source)


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
    canonical = canon(lhs, env)
    return lhs if isinstance(canonical, A.PatternVar) else canonical



def load_catalog(directory: Path) -> Catalog:
    """Every rule of every ``*.rules`` file in ``directory``."""
    rules: Catalog = {}
    for path in sorted(directory.glob("*.rules")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            rule = read_rule(line, f"{path.name}:{number}")
            if rule.name in rules:
                raise MatcalcError(f"{path.name}:{number}: rule {rule.name} defined twice")
            rules[rule.name] = rule
    return rules


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog that ships with matcalc (``rules/``), loaded once."""
    return load_catalog(data_dir("rules"))
