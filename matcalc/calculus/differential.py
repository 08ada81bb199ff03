"""Taking the differential: rewrite every ``d(..)`` with the catalog's d-rules
until only differentials of variables remain.

Each sweep rewrites the outermost ``d`` of every term once, so a derivation
shows one layer of the expression per line, the way it is done by hand.
Which rule applies is decided by the operation under ``d``; the rule itself
(what the differential *is*) comes from ``rules/differentials.rules``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..language import ast as A
from ..language import functions
from ..rewriting.canon import canon, zero_like
from ..errors import DerivationError, LimitError
from ..rewriting.engine import Context, instantiate, rewrite, rewrite_everywhere
from .answers import transpose_out_rules

RULE_FOR = {
    A.Add: "d-sum", A.Transpose: "d-transpose", A.Inverse: "d-inverse",
    A.Trace: "d-trace", A.Det: "d-det", A.LogDet: "d-logdet", A.Hadamard: "d-hadamard",
    A.Kron: "d-kron", A.Vec: "d-vec", A.Diag: "d-diag", A.Sum: "d-sum-entries",
    A.Mean: "d-mean", A.Func: "d-elementwise", A.Softmax: "d-softmax",
    A.LogSoftmax: "d-logsoftmax",
}
MAX_SWEEPS = 200
_DIFFERENTIAL = A.Differential._type_bit
# The parts one product rule may build: the rest of the derivation costs about
# ten units of work (README "Limits") a part, so what is accepted stays
# inside the work limit (a^T A^400 x needs 39,000 units).
MAX_DIFFERENTIAL_NODES = 4_000


@dataclass
class Sweep:
    result: A.Expr
    rules: list


def is_terminal(expr: A.Differential, variables) -> bool:
    return isinstance(expr.arg, A.Symbol) and expr.arg.name in variables


def sweeps(expr: A.Expr, variables: set, context: Context):
    """Yield one ``Sweep`` per layer until only d(variable) remain."""
    for _ in range(MAX_SWEEPS):
        used: list[str] = []
        result = _sweep(expr, variables, context, used)
        if not used:
            return
        expr = canon(result, context.env)
        yield Sweep(expr, list(dict.fromkeys(used)))
    raise DerivationError("the differential did not terminate")


def _sweep(expr, variables, context, used):
    if not A.types_mask(expr) & _DIFFERENTIAL:
        return expr             # no d(..) below: nothing to rewrite, and no walk down a constant subtree
    if isinstance(expr, A.Differential):
        if is_terminal(expr, variables):
            return expr
        return _one_rule(expr, variables, context, used)
    kids = A.children(expr)
    if not kids:
        return expr
    return A.with_children(expr, [_sweep(k, variables, context, used) for k in kids])


def _one_rule(expr: A.Differential, variables, context: Context, used) -> A.Expr:
    inner = expr.arg
    env = context.env
    if context.is_constant(inner):
        used.append("d-const")
        return rewrite("d-const", expr, context)
    if isinstance(inner, (A.Product, A.Hadamard, A.Kron)):
        _check_growth(inner, context)
    if isinstance(inner, A.Product):
        return _product_rule(expr, context, used)
    if isinstance(inner, A.Add):
        # d-sum applied to every term at once: one sweep for a + b + ... + z, not one per term.
        used.append("d-sum")
        return A.Add(tuple(A.Differential(term) for term in inner.args))
    if isinstance(inner, A.Power):
        return _power_rule(expr, variables, context, used)
    if isinstance(inner, A.ElemPow):
        name = "d-power" if context.is_constant(inner.exponent) else "d-power-variable"
        used.append(name)
        return rewrite(name, expr, context)
    if isinstance(inner, A.Norm):
        name = "d-norm" if env.is_vector(inner.arg) else "d-frobenius"
        used.append(name)
        return rewrite(name, expr, context)
    if isinstance(inner, A.Trace) and isinstance(inner.arg, A.Power) and _has_cuts(inner.arg, env):
        # one term k tr(X^{k-1} dX) where d-matrix-power would build k (tr(A^{-1000}) is tr((A^{-1})^1000))
        used.append("d-trace-power")
        return rewrite("d-trace-power", expr, context)
    if isinstance(inner, A.Func) and functions.elementwise(inner.name).smoothness == "jump":
        raise _not_differentiable(inner, f"{inner.name}, which is not differentiable")
    name = RULE_FOR.get(type(inner))
    if name == "d-diag" and env.is_vector(inner.arg):
        name = "d-diag-vector"
    if name in ("d-softmax", "d-logsoftmax") and not env.is_vector(inner.arg):
        name += "-columns"                   # a matrix: each column is a softmax of its own
    if name is None:
        raise DerivationError(f"no differential rule for {type(inner).__name__}")
    result = rewrite(name, expr, context)
    if result is None:
        raise DerivationError(f"rule {name} does not apply to {type(inner).__name__}")
    used.append(name)
    return result


def _check_growth(factors: A.Expr, context: Context) -> None:
    """The product rule turns k varying factors into k terms of the whole
    product each: refuse before building an answer no one could read."""
    varying = sum(1 for f in factors.args if not context.is_constant(f))
    if varying > 1:
        _refuse_growth(f"this product of {len(factors.args)} factors ({varying} of them varying)",
                       varying, A.size(factors))


def _refuse_growth(what: str, terms: int, term_size: int) -> None:
    if terms * term_size > MAX_DIFFERENTIAL_NODES:
        raise LimitError(
            f"the differential of {what} would have {terms:,} terms of {term_size:,} parts each; "
            f"matcalc stops at {MAX_DIFFERENTIAL_NODES:,} parts")


def _product_rule(expr, context: Context, used) -> A.Expr:
    return _every_cut(expr, context, used)


def _cut_rule(pieces: dict, env) -> tuple:
    """The rule of one cut and its bindings: d-product for a matrix product,
    d-scalar-product where a scalar multiplies the rest (γ xh, whose factors
    do not conform as a matrix product's must)."""
    left, right = pieces["?A"], pieces["?B"]
    if env.is_scalar(left):
        return "d-scalar-product", {"?c": left, "?A": right}
    if env.shape(left)[1] == env.shape(right)[0]:
        return "d-product", pieces
    return "d-product-scalar", {"?A": left, "?c": right}


def _first_cut(differential: A.Differential, context: Context) -> dict:
    """Where d-product cuts ``differential``'s product: after the longest
    constant prefix (d(P) = 0), else before the longest constant suffix, else
    after the first factor; X^k is X X^{k-1} (d-matrix-power)."""
    inner = differential.arg
    if isinstance(inner, A.Power):
        k = int(inner.exponent.value)
        return {"?A": inner.base, "?B": inner.base if k == 2 else A.Power(inner.base, A.number(k - 1))}
    factors = inner.args
    constant = [context.is_constant(f) for f in factors]
    cut = 1
    if constant[0]:
        cut = next(i for i, c in enumerate(constant) if not c)
    elif constant[-1]:
        cut = len(factors) - next(i for i, c in enumerate(reversed(constant)) if not c)
    return {"?A": A.joined(A.Product, factors[:cut]), "?B": A.joined(A.Product, factors[cut:])}


def _every_cut(expr: A.Differential, context: Context, used) -> A.Expr:
    """d-product at one cut, then again on each d(product) or d(X^k) it
    leaves, all in one sweep (one term per varying factor: d(A B C) =
    dA B C + A dB C + A B dC), and d(C) = 0 for each constant piece."""
    env = context.env
    # (term, its d(..) still to cut or None, whether that d is the rest of a power already counted)
    terms = [(expr, expr, False)]
    index = 0
    while index < len(terms):
        term, pending, counted = terms[index]
        if pending is None:
            index += 1
            continue
        rule, pieces = _cut_rule(_first_cut(pending, context), env)
        used.append(rule)
        if isinstance(pending.arg, A.Power):
            used.append("d-matrix-power")             # the sweep lists each rule once
            if not counted:
                # d(X^k) makes k terms of about the size of the term it stands in
                _refuse_growth(f"the power {pending.arg.exponent.value} of a square matrix",
                               int(pending.arg.exponent.value), A.size(term) + 2)
        varying, constant = cut_terms(rule, pieces, pending, context)
        # d(C) = 0 drops the term: it is never built (canon keeps its one d(C),
        # a product with no zero factor)
        used.extend(["d-const"] * constant)
        expanded = []
        for part in varying:
            whole = canon(A.substitute(term, {pending: part}), env)
            inner = [n for n in A.walk(whole) if isinstance(n, A.Differential)]
            if len(inner) == 1 and context.is_constant(inner[0].arg):
                used.append("d-const")
                continue
            cut_again = len(inner) == 1 and _has_cuts(inner[0].arg, env)
            expanded.append((whole, inner[0] if cut_again else None, isinstance(pending.arg, A.Power)))
        terms[index:index + 1] = expanded
    parts = tuple(term for term, _, _ in terms)
    if not parts:
        return zero_like(expr, env)
    return canon(A.Add(parts) if len(parts) > 1 else parts[0], env)


def cut_terms(rule_name: str, pieces: dict, pending: A.Differential, context: Context) -> tuple:
    """The terms of the rule's right side (d(?A) ?B and ?A d(?B)) for the
    pieces of one cut of ``pending``: (the terms of the varying pieces, the
    number of constant ones, whose terms d(C) = 0 drops unbuilt).  Each
    term is as instantiated, put into canonical form once inside its term of
    the whole, not first as a sum of its own (which the engine's right side
    would build and simplify, only to be taken apart).  The pieces are
    ``pending``'s factors split at the cut, so the rule's left side is
    ``pending`` by construction and their shapes conform;
    tests/test_rewrites_keep_shape.py checks each term's shape."""
    rule, sides = _sides(rule_name, context)
    varying, constant = [], 0
    for side, differentiated in sides:
        piece = pieces[differentiated]
        if context.is_constant(piece):
            constant += 1
        else:
            varying.append(instantiate(rule, side, pieces, context))
    return varying, constant


_SIDES = "product rule sides"           # the catalog's table of them (catalog.facts)


def _sides(rule_name: str, context: Context) -> tuple:
    """(the rule, ((side, the variable its d(..) holds), ...)) for a product
    rule of the catalog: each side holds the d(..) of one piece (d-product,
    d-scalar-product, d-product-scalar).  Read off the rule once, as the
    engine's builders are: rules never change."""
    table = context.catalog.facts.get(_SIDES)
    if table is None:
        table = context.catalog.facts[_SIDES] = {}
    found = table.get(rule_name)
    if found is None:
        rule = context.rule(rule_name)
        found = table[rule_name] = (rule, tuple(
            (side, next(n.arg.name for n in A.walk(side) if isinstance(n, A.Differential)))
            for side in (rule.rhs.args if isinstance(rule.rhs, A.Add) else (rule.rhs,))))
    return found


def _has_cuts(expr: A.Expr, env) -> bool:
    """A product, or an integer matrix power, is cut again in the same sweep."""
    if isinstance(expr, A.Product):
        return True
    return (isinstance(expr, A.Power) and not env.is_scalar(expr.base)
            and isinstance(expr.exponent, A.Number) and expr.exponent.value.denominator == 1
            and expr.exponent.value >= 2)


def _power_rule(expr, variables, context: Context, used) -> A.Expr:
    power = expr.arg
    env = context.env
    if norm_squared := _norm_squared(power, env):
        used.append(norm_squared)
        return rewrite(norm_squared, expr, context)
    if env.is_scalar(power.base):
        used.append("d-scalar-power")
        return rewrite("d-scalar-power", expr, context)
    exponent = power.exponent.value
    if exponent.denominator != 1 or exponent < 2:
        raise _not_differentiable(power, "a fractional matrix power")
    # X^k = X X^{k-1} (canon writes X^{-k} as (X^{-1})^k), then the product
    # rule, down to d(X) in one sweep: d(X^k) = Σ_i X^i dX X^{k-1-i}.  One
    # sweep per power would need a thousand for tr(A^1000).
    return _every_cut(expr, context, used)


def _norm_squared(power: A.Power, env) -> str | None:
    if isinstance(power.base, A.Norm) and power.exponent == A.number(2):
        return "d-norm-squared" if env.is_vector(power.base.arg) else "d-frobenius-squared"
    return None


def _not_differentiable(node, what) -> DerivationError:
    # The span points at the node in the user's text (the API adds the source).
    return DerivationError(f"cannot differentiate the expression: it involves {what}", span=node.span)


def collect(dl, context, label, log):
    """Σ c_i^T dv = (Σ c_i)^T dv: one coefficient per differential."""
    if not _may_collect(dl):
        return dl       # no collection could have fewer differentials: no pass
    collected, used = rewrite_everywhere(("factor-right", "factor-left"), dl, context)
    if not used or _differentials(collected) >= _differentials(dl):
        return dl       # a factor common to different differentials: nothing was collected
    collected, transposed = transpose_out_rules(collected, context.env)
    used += transposed
    if used:
        log.add(used[0], label, collected, used)
    return collected


def _differentials(expr) -> int:
    return sum(isinstance(node, A.Differential) for node in A.walk(expr))


def _repeated_differential(expr) -> bool:
    differentials = [node for node in A.walk(expr) if isinstance(node, A.Differential)]
    return len(set(differentials)) < len(differentials)


def _may_collect(dl) -> bool:
    """Whether factor-left/right can collect dl into fewer differentials.
    That takes a run of factors holding a d(..) that two terms of a sum
    begin or end with, then or after other factors are taken out: so two
    terms of a sum share a factor holding a d(..) (read as their factors,
    sub-products included); or taking a factor out inside a term (a sum that
    is not dl itself) makes two factors equal that were not."""
    if not A.holds(dl, A.Add) or not _repeated_differential(dl):     # (both: a sum, and a d(..) twice)
        return False
    for node in A.walk(dl):
        if isinstance(node, A.Add) and (_terms_share_a_factor_with_d(node)
                                        or node is not dl and _terms_share_an_end(node)):
            return True
    return False


def _terms_share_a_factor_with_d(add: A.Add) -> bool:
    seen: dict = {}                     # factor → the first term that has it
    for index, term in enumerate(add.args):
        for factor in set(_flat(term.args) if isinstance(term, A.Product) else (term,)):
            if A.holds(factor, A.Differential) \
                    and seen.setdefault(factor, index) != index:
                return True
    return False


def _terms_share_an_end(add: A.Add) -> bool:
    """Whether two terms of the sum begin, or end, with the same factor, as
    factor-left and factor-right match them (a product led by a number also
    read with the number last, a factor that is a product also read as its
    factors)."""
    seen: dict = {}                     # (end, factor) → the first term that has it
    for index, term in enumerate(add.args):
        for end in _ends(term):
            if seen.setdefault(end, index) != index:
                return True
    return False


def _ends(term) -> set:
    """("first" or "last", factor) for each way the matcher may read the term."""
    if not isinstance(term, A.Product):
        return {("first", term), ("last", term)}
    factors = list(term.args)
    orders = [factors]
    if isinstance(factors[0], A.Number) and len(factors) > 2:
        orders.append(factors[1:] + factors[:1])
    orders += [_flat(order) for order in orders]
    return {("first", order[0]) for order in orders} | {("last", order[-1]) for order in orders}


def _flat(factors) -> list:
    flat = []
    for factor in factors:
        flat.extend(_flat(factor.args) if isinstance(factor, A.Product) else (factor,))
    return flat
