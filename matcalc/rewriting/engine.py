"""The rewrite engine: match a rule's left side, check its where-clause,
build its right side (SPEC §3).  It knows no mathematics: which rules run
where is decided by the strategies of the calculus layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..errors import InternalError
from ..language import ast as A
from ..language.node_facts import names_of
from ..shapes.env import TypeEnv
from .canon import canon, is_zero, zero_like
from .catalog import Catalog, Rule, default_catalog
from .comparison import comparison_form
from .instances import Filling, builder, dimension_map
from .match import matches
from .rule_index import NARY, Candidate, RulePass, root_test, rule_pass


# ---------------------------------------------------------------- applying rules
@dataclass
class Context:
    """What a rule needs to know about the problem it is applied in."""
    env: TypeEnv
    is_constant: Callable[[A.Expr], bool] = lambda expr: False
    catalog: Catalog = field(default_factory=default_catalog, repr=False)
    # f' for a rule's ?f'(..): (function name, argument, shape) → tree.  The
    # calculus layer supplies it (elementwise derivatives come from SymPy).
    derivative: Callable | None = field(default=None, repr=False)
    # Rewrites already done in this context: trees are immutable, so a
    # result, once found, holds for every later request.
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def rule(self, name: str) -> Rule:
        return self.catalog[name]

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
    return matches(rule.pattern, expr, {}, accept)


def instantiate(rule: Rule, side: A.Expr, bindings: dict, context: Context) -> A.Expr:
    """``side`` of ``rule`` with ``bindings`` put in (by its builder, made once)."""
    build, sized = builder(side, context.catalog)
    return build(bindings, Filling(rule, bindings, context) if sized else None)


def _shapes_fit(rule: Rule, bindings: dict, env: TypeEnv) -> bool:
    """The rule's shared dimensions must be equal in the bindings too (in
    ``?A ?C + ?B ?C = (?A + ?B) ?C``, ?A and ?B have one shape)."""
    return dimension_map(rule, bindings, env, strict=True) is not None


def _sizes_fit(rule: Rule, bindings: dict, context) -> bool:
    """A size the pattern's numel(?v) matched is the number of entries of ?v."""
    for key, size in bindings.items():
        if isinstance(key, tuple) and key[0] == "numel":
            rows, cols = context.env.shape(instantiate(rule, key[1], bindings, context))
            if rows * cols != size:
                return False
    return True


def rewrite(rule_name: str, expr: A.Expr, context: Context) -> A.Expr | None:
    """The right side of the rule for the first match of its left side at the
    root of ``expr``, in canonical form; None if none."""
    return _rewrite_root(rule_name, context.rule(rule_name), expr, context)


def _rewrite_root(rule_name: str, chosen: Rule, expr: A.Expr, context: Context) -> A.Expr | None:
    if not root_test(rule_name, chosen, context.catalog)(expr):        # (_may_match, made ahead)
        return None
    return _rewrite_matched(rule_name, chosen, expr, context)


def _rewrite_matched(rule_name: str, chosen: Rule, expr: A.Expr, context: Context) -> A.Expr | None:
    """``_rewrite_root`` where ``_may_match`` is known to hold."""
    key = (rule_name, expr)
    memo = context.memo
    result = memo.get(key, _UNKNOWN)
    if result is not _UNKNOWN:
        return result
    result = None
    for bindings in bindings_of(chosen, expr, context):
        if _shapes_fit(chosen, bindings, context.env) and _sizes_fit(chosen, bindings, context):
            result = right_side(chosen, bindings, expr, context)
            break
    memo[key] = result
    return result


_UNKNOWN = object()      # not looked up yet (None is a memoized "no match")


def _may_match(pattern: A.Expr, expr: A.Expr) -> bool:
    """A cheap test before matching: the nodes must be of one type, down to
    the pattern's first n-ary node or variable ((?A ?B)^T never matches A^T)."""
    if isinstance(pattern, A.PatternVar):
        return True
    if type(pattern) is not type(expr):
        return False
    if isinstance(pattern, (A.Add, A.Product, A.Hadamard, A.Kron)):
        # An operand that is no variable matches one operand of its own type.
        present = {type(arg) for arg in expr.args}
        return all(isinstance(o, A.PatternVar) or type(o) is type(pattern) or type(o) in present
                   for o in pattern.args)
    return all(_may_match(p, e) for p, e in zip(A.children(pattern), A.children(expr)))


def rewrite_with(rule_name: str, bindings: dict, subject: A.Expr, context: Context,
                 exact: bool = False) -> A.Expr:
    """The rule's right side for bindings the engine chose itself (``cyclic``
    with the cut that puts dX last).  The left side must equal ``subject``,
    which keeps every such step honest; ``exact``: in canonical form, not
    only up to the comparison form."""
    chosen = context.rule(rule_name)
    env = context.env
    lhs = canon(instantiate(chosen, chosen.lhs, bindings, context), env)
    # Equal as they stand, or equal up to where transposes and scalars stand.
    if lhs != canon(subject, env) and (exact or comparison_form(lhs, env) != comparison_form(subject, env)):
        raise InternalError(f"rule {rule_name} does not apply to the expression it was chosen for")
    if not _shapes_fit(chosen, bindings, env):      # canon drops an I of any size: the left side alone cannot tell
        raise InternalError(f"rule {rule_name} was chosen with bindings whose shapes do not fit it")
    return right_side(chosen, bindings, subject, context)


def right_side(rule: Rule, bindings: dict, subject: A.Expr, context: Context) -> A.Expr:
    """What ``subject`` is rewritten to, in canonical form: every rewrite of
    the engine ends here (the tests check here that it keeps the shape)."""
    result = canon(instantiate(rule, rule.rhs, bindings, context), context.env)
    return zero_like(subject, context.env) if is_zero(result) else result




def rewrite_everywhere(rule_names, expr: A.Expr, context: Context, limit: int = 50):
    """Apply the rules wherever they match (inside products, to any run of
    adjacent factors) until none does.  Returns (expression, rules used)."""
    rule_names = tuple(rule_names)
    rules = rule_pass(rule_names, context.catalog)
    if not _may_apply(rules, expr, context):
        return expr, []         # (asked first: most passes have nothing to do, and then no key is made)
    key = ("everywhere", rule_names, expr, limit)
    if key in context.memo:
        result, used = context.memo[key]
        return result, list(used)
    used: list[str] = []
    for _ in range(limit):
        changed = _rewrite_once(rules, expr, context, used)
        if changed == expr:
            break
        expr = canon(changed, context.env)
    context.memo[key] = (expr, tuple(used))
    return expr, used


def _may_apply(rules: RulePass, expr, context) -> bool:
    """Whether some rule may match somewhere in ``expr``: the node types
    ``_may_match`` asks of its left side all occur in the tree, and so does a
    probability vector where a variable must be one.  Most passes find
    nothing to do (no softmax, no probability vector), and asking the types
    a tree holds (kept in its nodes) costs less than visiting every node
    with every rule."""
    present = A.types_mask(expr)
    possible = rules.possible(present)
    return possible is True or (possible is not False and _holds_probability(expr, context.env))


def _holds_probability(expr: A.Expr, env: TypeEnv) -> bool:
    symbols = env.symbols
    # (most problems declare no probability vector: then no name needs asking)
    return any(symbol.probability for symbol in symbols.values()) and any(
        name in symbols and symbols[name].probability for name in names_of(expr, A.Symbol))


def _rewrite_once(rules: RulePass, expr, context, used):
    key = (rules, expr)          # (the pass is one object per catalog: a cheap key)
    known = context.memo.get(key)
    if known is not None:
        result, added = known
        used.extend(added)
        return result
    mark = len(used)
    result = _rewrite_once_uncached(rules, expr, context, used)
    context.memo[key] = (result, tuple(used[mark:]))
    return result


def _rewrite_once_uncached(rules: RulePass, expr, context, used):
    kids = expr._children()
    context.env.spend(1 + len(kids))
    if kids:
        rewritten = [_rewrite_once(rules, k, context, used) for k in kids]
        if not A.same_objects(rewritten, kids):     # (most nodes of a pass stay as they are)
            expr = A.rebuilt(expr, rewritten)
    candidates = rules.at(type(expr))
    if not candidates:
        return expr
    present = {type(a) for a in expr.args} if isinstance(expr, NARY) else None
    for candidate in candidates:
        name, rule, root_needs, window, pairs, below = candidate
        if root_needs is None:
            result = _rewrite_matched(name, rule, expr, context) if below is None or below(expr) else None
        elif not root_needs or root_needs <= present:
            result = _rewrite_matched(name, rule, expr, context)
        else:
            result = None
        if result is not None and result != expr:
            used.append(name)
            return result
        if window is not None and window.needs <= present:
            rewritten = _rewrite_window(candidate, expr, context)
            if rewritten is not None:
                used.append(name)
                return rewritten
        if pairs:
            paired = _rewrite_pair(candidate, expr, context)
            if paired is not None:
                used.append(name)
                return paired
    return expr


MAX_PAIRED_TERMS = 12


def _rewrite_pair(candidate: Candidate, expr: A.Add, context):
    """Rewrite two terms of a longer sum (terms commute): A x + b + A^T x
    factors as (A + A^T) x + b.  Long sums are left alone (pairs grow as n²)."""
    terms = expr.args
    if len(candidate.rule.pattern.args) != 2 or not 2 < len(terms) <= MAX_PAIRED_TERMS:
        return None
    for i in range(len(terms)):
        for j in range(i + 1, len(terms)):
            result = _rewrite_root(candidate.name, candidate.rule, A.Add((terms[i], terms[j])), context)
            if result is not None:
                rest = [t for k, t in enumerate(terms) if k not in (i, j)]
                return A.Add(tuple(rest[:i]) + (result,) + tuple(rest[i:]))
    return None


def _rewrite_window(candidate: Candidate, expr: A.Product, context):
    """Rewrite a run of adjacent factors ``args[i:j]`` of a product.  (A
    pattern operand that is not a variable matches one factor of its own node
    type: the caller has seen that the product has each; windows without such
    a factor, most of a long product, cannot match.)"""
    factors = expr.args
    name, rule, _, window, _, _ = candidate
    operands = rule.pattern.args
    first, last, width = window.first, window.last, window.width
    # Only variables take several factors: with none, the window is as wide as the pattern.
    widest = width if window.fixed else len(factors) - 1
    for size in range(width, widest + 1):
        for start in range(0, len(factors) - size + 1):
            if (first and type(factors[start]) is not first) or \
                    (last and type(factors[start + size - 1]) is not last):
                continue
            window_factors = factors[start:start + size]
            if size == width and not isinstance(window_factors[0], A.Number) and \
                    not all(_may_match(o, f) for o, f in zip(operands, window_factors)):
                continue        # one factor per operand (a number may also be matched last)
            result = _rewrite_root(name, rule, A.Product(window_factors), context)
            if result is not None:
                return A.Product(factors[:start] + (result,) + factors[start + size:])
    return None

