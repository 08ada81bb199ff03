"""The rule catalog: identities written in the expression language (``rules/``).

The engine cites rules by name and rewrites with them: it matches a rule's
left side against an expression, checks the where-clause, and builds the
right side from the bindings.  The same catalog feeds the numeric test of
every rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterator

from . import ast as A
from . import elementwise
from .canon import canon, is_zero, like_key, zero_like
from .errors import MatcalcError
from .match import matches
from .parse import parse_declarations, parse_pattern
from .resources import data_dir
from .shapes import Dim, TypeEnv, infer

_LINE = re.compile(r"^(?P<name>[a-z][a-z0-9-]*):\s*(?P<body>.*?)\s*(?:#\s*(?P<why>.*))?$")


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


def _parse_rule(line: str, origin: str) -> Rule:
    found = _LINE.match(line)
    if not found:
        raise MatcalcError(f"{origin}: expected 'name: lhs = rhs  # explanation'")
    body = found.group("body")
    body, _, where = body.partition(" where ")
    lhs_text, _, rhs_text = body.partition(" = ")
    conditions: dict[str, set] = {}
    declarations = {}
    for clause in filter(None, (c.strip() for c in where.split(";"))):
        names, _, spec = clause.partition(":")
        words = spec.split()
        for name in (n.strip() for n in names.split(",")):
            conditions.setdefault(name, set()).update(
                {"constant"} & set(words), _kind_words(words))
        rest = " ".join(w for w in words if w != "constant")
        if rest:
            plain = ", ".join(n.strip().lstrip("?") for n in names.split(","))
            for plain_name, declaration in parse_declarations(f"{plain}: {rest}").items():
                declarations["?" + plain_name] = declaration
    lhs, rhs = parse_pattern(lhs_text), parse_pattern(rhs_text)
    (lhs, rhs), _, env = infer([lhs, rhs], body, declarations)
    lhs = _matchable(lhs, env)
    return Rule(found.group("name"), lhs, rhs, (found.group("why") or "").strip(),
                conditions, env, line.split("#")[0].strip())


def _matchable(lhs: A.Expr, env: TypeEnv) -> A.Expr:
    """The left side in canonical form, the form the engine's expressions
    have: exp(z) / (1^T exp(z)) has its scalar in front, 1^T is the row of
    ones.  (A side that canon reduces to a bare variable, ?a^T for a scalar,
    is an identity canon already applies; it stays as written.)"""
    canonical = canon(lhs, env)
    return lhs if isinstance(canonical, A.PatternVar) else canonical


def _kind_words(words) -> set:
    text = " ".join(words)
    kinds = set()
    for word in ("scalar", "square", "symmetric", "vector"):
        if word in words:
            kinds.add(word)
    if "probability" in text:
        kinds.add("probability")
    if "positive definite" in text:
        kinds.add("square")
    return kinds


@lru_cache(maxsize=None)
def catalog() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for path in sorted(data_dir("rules").glob("*.rules")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            rule = _parse_rule(line, f"{path.name}:{number}")
            if rule.name in rules:
                raise MatcalcError(f"{path.name}:{number}: rule {rule.name} defined twice")
            rules[rule.name] = rule
    return rules


def rule(name: str) -> Rule:
    return catalog()[name]


# ---------------------------------------------------------------- applying rules
@dataclass
class Context:
    """What a rule needs to know about the problem it is applied in."""
    env: TypeEnv
    is_constant: Callable[[A.Expr], bool] = lambda expr: False
    # Rewrites already done in this context: trees are immutable, so a
    # result, once found, holds for every later request.
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def accepts(self, rule: Rule, name: str, expr: A.Expr) -> bool:
        env = self.env
        for condition in rule.conditions.get(name, ()):
            if condition == "scalar" and not env.is_scalar(expr):
                return False
            if condition == "vector" and not env.is_vector(expr):
                return False
            if condition == "square" and not env.is_square(expr):
                return False
            if condition == "symmetric" and not env.symmetric(expr):
                return False
            if condition == "probability" and not env.probability(expr):
                return False
            if condition == "constant" and not self.is_constant(expr):
                return False
        # Shapes must fit the rule: a vector variable never binds a matrix.
        kind = rule.env.symbols[name].kind if name in rule.env.symbols else None
        if kind == "vector" and not (env.is_vector(expr) or env.is_scalar(expr)):
            return False
        return True


def bindings_of(rule: Rule, expr: A.Expr, context: Context) -> Iterator[dict]:
    accept = lambda name, sub: context.accepts(rule, name, sub)
    return matches(rule.lhs, expr, {}, accept)


def instantiate(rule: Rule, side: A.Expr, bindings: dict, context: Context) -> A.Expr:
    dims = _dimension_map(rule, bindings, context.env)

    def build(node):
        if isinstance(node, A.PatternVar):
            return bindings[node.name]
        if isinstance(node, A.Func) and node.name.startswith("?"):
            arg = build(node.arg)
            function = bindings[node.name.rstrip("'")]
            if node.name.endswith("'"):
                return elementwise.derivative(function, arg, context.env.shape(arg))
            return A.Func(function, arg)
        if isinstance(node, A.Func) and node.name == "numel":
            rows, cols = context.env.shape(build(node.arg))
            return A.DimValue(rows * cols)
        if isinstance(node, A.Func) and node.name == "identity":
            return A.Identity(context.env.shape(build(node.arg))[0])
        if isinstance(node, A.Func) and node.name == "commutation":
            first, second = (build(part) for part in node.arg.args)
            return A.Commutation(context.env.shape(first)[0], context.env.shape(second)[0])
        if isinstance(node, (A.Ones, A.Zero)):
            return type(node)(_mapped(node.rows, dims), _mapped(node.cols, dims))
        if isinstance(node, A.Identity):
            return A.Identity(_mapped(node.size, dims))
        kids = A.children(node)
        return A.with_children(node, [build(k) for k in kids]) if kids else node

    return build(side)


def _dimension_map(rule: Rule, bindings: dict, env: TypeEnv) -> dict:
    mapping: dict[str, Dim] = {}
    for name, value in bindings.items():
        info = rule.env.symbols.get(name)
        if info is None or not isinstance(value, A.Expr):
            continue
        for rule_dim, actual in zip((info.rows, info.cols), env.shape(value)):
            if rule_dim.coef == 1 and len(rule_dim.names) == 1:
                mapping.setdefault(rule_dim.names[0], actual)
    return mapping


def _shapes_fit(rule: Rule, bindings: dict, env: TypeEnv) -> bool:
    """The rule's shared dimensions must be equal in the bindings too (in
    ``?A ?C + ?B ?C = (?A + ?B) ?C``, ?A and ?B have one shape)."""
    seen: dict[str, Dim] = {}
    for name, value in bindings.items():
        info = rule.env.symbols.get(name)
        if info is None or not isinstance(value, A.Expr):
            continue
        for rule_dim, actual in zip((info.rows, info.cols), env.shape(value)):
            if rule_dim.coef == 1 and len(rule_dim.names) == 1:
                if seen.setdefault(rule_dim.names[0], actual) != actual:
                    return False
    return True


def _mapped(dim: Dim, mapping: dict) -> Dim:
    result = Dim(dim.coef)
    for name in dim.names:
        result = result * mapping[name]
    return result


def rewrite(rule_name: str, expr: A.Expr, context: Context) -> A.Expr | None:
    """The right side of the rule for the first match of its left side at the
    root of ``expr``, in canonical form; None if none."""
    chosen = rule(rule_name)
    if not _may_match(chosen.lhs, expr):
        return None
    key = (rule_name, expr)
    if key in context.memo:
        return context.memo[key]
    result = None
    for bindings in bindings_of(chosen, expr, context):
        if _shapes_fit(chosen, bindings, context.env):
            result = canon(instantiate(chosen, chosen.rhs, bindings, context), context.env)
            if is_zero(result):
                result = zero_like(expr, context.env)
            break
    context.memo[key] = result
    return result


def _may_match(pattern: A.Expr, expr: A.Expr) -> bool:
    """A cheap test before matching: the roots must be of one type."""
    if isinstance(pattern, A.PatternVar):
        return True
    return type(pattern) is type(expr)


def rewrite_with(rule_name: str, bindings: dict, subject: A.Expr, context: Context) -> A.Expr:
    """The rule's right side for bindings the engine chose itself (``cyclic``
    with the cut that puts dX last).  The left side must equal ``subject``,
    which keeps every such step honest."""
    chosen = rule(rule_name)
    env = context.env
    lhs = canon(instantiate(chosen, chosen.lhs, bindings, context), env)
    if comparison_form(lhs, env) != comparison_form(subject, env):
        raise AssertionError(f"rule {rule_name} does not apply to this expression")
    return canon(instantiate(chosen, chosen.rhs, bindings, context), env)


def comparison_form(expr: A.Expr, env: TypeEnv) -> A.Expr:
    """A form in which equal expressions that differ only in where transposes
    stand or in the order of Hadamard factors (which commute) coincide."""
    cache = env.__dict__.setdefault("_comparison_cache", {})
    known = cache.get(expr)
    if known is None:
        known = cache[expr] = _comparison_form(expr, env)
    return known


def _comparison_form(expr: A.Expr, env: TypeEnv) -> A.Expr:
    expr = _repeated(canon(expr, env), env)
    kids = A.children(expr)
    if not kids:
        return expr
    if isinstance(expr, A.Transpose) and isinstance(expr.arg, (A.Product, A.Add, A.Hadamard, A.Kron)):
        inner = expr.arg
        parts = [A.Transpose(a) for a in inner.args]
        if isinstance(inner, A.Product):
            parts.reverse()
        return comparison_form(type(inner)(tuple(parts)), env)
    if isinstance(expr, A.Product):
        # Compare the factors first: a transpose pushed inside may become a
        # product whose scalar runs must join this product's.
        compared = _repeated(canon(A.Product(tuple(comparison_form(k, env) for k in kids)), env), env)
        if not isinstance(compared, A.Product):
            return compared
        return like_key(compared, env)
    kids = [comparison_form(k, env) for k in kids]
    if isinstance(expr, (A.Hadamard, A.Add)):
        # Their operands commute: flattened and sorted, any order compares equal.
        kids = sorted((part for kid in kids
                       for part in (kid.args if type(kid) is type(expr) else (kid,))), key=repr)
    return A.with_children(expr, kids)      # the kids are compared already; canon would reorder them


def _repeated(expr: A.Expr, env: TypeEnv) -> A.Expr:
    """(x^T x)^2 compares as (x^T x)(x^T x), which is how x^T x x^T x reads;
    a matrix power (M Y)^2 as M Y M Y."""
    if isinstance(expr, A.Power) and isinstance(expr.base, A.Product) \
            and expr.exponent in tuple(A.number(k) for k in range(2, 9)):
        return A.Product((expr.base,) * int(expr.exponent.value))
    return expr


def rewrite_everywhere(rule_names, expr: A.Expr, context: Context, limit: int = 50):
    """Apply the rules wherever they match (inside products, to any run of
    adjacent factors) until none does.  Returns (expression, rules used)."""
    key = ("everywhere", tuple(rule_names), expr, limit)
    if key in context.memo:
        result, used = context.memo[key]
        return result, list(used)
    used: list[str] = []
    for _ in range(limit):
        changed = _rewrite_once(rule_names, expr, context, used)
        if changed == expr:
            break
        expr = canon(changed, context.env)
    context.memo[key] = (expr, tuple(used))
    return expr, used


def _rewrite_once(rule_names, expr, context, used):
    key = ("once", tuple(rule_names), expr)
    known = context.memo.get(key)
    if known is not None:
        result, added = known
        used.extend(added)
        return result
    mark = len(used)
    result = _rewrite_once_uncached(rule_names, expr, context, used)
    context.memo[key] = (result, tuple(used[mark:]))
    return result


def _rewrite_once_uncached(rule_names, expr, context, used):
    kids = A.children(expr)
    if kids:
        expr = A.with_children(expr, [_rewrite_once(rule_names, k, context, used) for k in kids])
    for name in rule_names:
        result = rewrite(name, expr, context)
        if result is not None and result != expr:
            used.append(name)
            return result
        if isinstance(expr, A.Product) and isinstance(rule(name).lhs, A.Product):
            window = _rewrite_window(name, expr, context)
            if window is not None:
                used.append(name)
                return window
        if isinstance(expr, A.Add) and isinstance(rule(name).lhs, A.Add):
            paired = _rewrite_pair(name, expr, context)
            if paired is not None:
                used.append(name)
                return paired
    return expr


MAX_PAIRED_TERMS = 12


def _rewrite_pair(name, expr: A.Add, context):
    """Rewrite two terms of a longer sum (terms commute): A x + b + A^T x
    factors as (A + A^T) x + b.  Long sums are left alone (pairs grow as n²)."""
    terms = expr.args
    if len(rule(name).lhs.args) != 2 or not 2 < len(terms) <= MAX_PAIRED_TERMS:
        return None
    for i in range(len(terms)):
        for j in range(i + 1, len(terms)):
            result = rewrite(name, A.Add((terms[i], terms[j])), context)
            if result is not None:
                rest = [t for k, t in enumerate(terms) if k not in (i, j)]
                return A.Add(tuple(rest[:i]) + (result,) + tuple(rest[i:]))
    return None


def _rewrite_window(name, expr: A.Product, context):
    """Rewrite a run of adjacent factors ``args[i:j]`` of a product."""
    factors = expr.args
    operands = rule(name).lhs.args
    # A pattern operand that is not a variable matches one factor of its own
    # type: windows without one (most of a long product) cannot match.
    fixed = [type(o) for o in operands if not isinstance(o, A.PatternVar)]
    present = {type(f) for f in factors}
    if any(kind not in present for kind in fixed):
        return None
    first = type(operands[0]) if not isinstance(operands[0], A.PatternVar) else None
    last = type(operands[-1]) if not isinstance(operands[-1], A.PatternVar) else None
    width = len(operands)
    for size in range(width, len(factors)):
        for start in range(0, len(factors) - size + 1):
            if (first and type(factors[start]) is not first) or \
                    (last and type(factors[start + size - 1]) is not last):
                continue
            window = A.Product(factors[start:start + size])
            try:
                result = rewrite(name, window, context)
            except KeyError:
                result = None
            if result is not None:
                return A.Product(factors[:start] + (result,) + factors[start + size:])
    return None
