"""A gradient of a backward pass in closed form, in the program's own names
(SPEC §7; issue 12 item 5): batch norm's ∂l/∂x = δc + δμ 1 / n is
γ / sqrt(s2 + ε) (w - mean(w) 1 - mean(w ⊙ xh) xh).

The δ's are written out (the program's names stay); then what the program's
statements say is used: a centred value c (1^T c = 0, rule ``centered-sum``
on c written out) contributes no c^T 1, and a normalised value xh = c / σ
stands for c = σ xh, so the powers of σ cancel.  The result is kept only
where one of the two applied: elsewhere writing the δ's out teaches nothing.
"""

from __future__ import annotations

from ..language import ast as A
from ..rewriting.canon import canon, is_zero, zero_like
from ..rewriting.engine import Context, rewrite_everywhere
from .scalars import simplify_coefficients
from .strategy import write_out

EXPAND = ("transpose-sum", "transpose-product", "distribute-left", "distribute-right")
MEANS = ("mean-of-sum", "mean-of-product")
MAX_CLOSED_FORM = 400            # parts: a closed form longer than this reads worse than the δ's


def closed_forms(gradients: dict, deltas, statements, context: Context, simplify) -> dict:
    """The closed form of each gradient (in δ's) that has one, with the rules
    it used (parameter → (form, rules)): its δ's written
    out, centred sums folded and normalised values named.  ``statements``:
    the program's (name, definition) before the loss; ``simplify``: the
    answer rules (strategy's) to finish with, giving (expression, rules used)."""
    # Only a value with a mean in its definition can be centred (x - mean(x) 1):
    # a program without one has no closed form to find, and is left at once.
    means = {name for name, definition in statements if isinstance(definition, A.Mean)}
    candidates = {name for name, definition in statements
                  if A.symbol_names(definition) & means or any(isinstance(n, A.Mean) for n in A.walk(definition))}
    if not candidates:
        return {}
    centred = {name for name in candidates if _centred(name, statements, context)}
    found = {parameter: _closed_form(gradient, deltas, statements, centred, context, simplify)
             for parameter, gradient in gradients.items()}
    return {parameter: closed for parameter, closed in found.items() if closed is not None}


def _closed_form(gradient: A.Expr, deltas, statements, centred: set, context: Context,
                 simplify) -> tuple | None:
    """(the closed form, the rules it used); None where neither folding nor naming applies."""
    env = context.env
    written = _without_deltas(gradient, {A.Symbol(n): d for n, d in deltas})
    if written is None or written == gradient:
        return None
    expr, used = rewrite_everywhere(EXPAND, canon(written, env), context)
    folded = canon(_fold_centred_sums(expr, centred, env), env)
    if folded != expr:
        used.append("centered-sum")
    collect = lambda e: simplify_coefficients(e, env, statements)      # σ σ / σ^3 = 1 / σ
    collected = collect(folded)
    named = _in_normalised_names(collected, statements, env, collect)
    if folded == expr and named == collected:
        return None
    averaged, averaging = rewrite_everywhere(MEANS, _counts_beside_sums(named, env), context)
    spread, spreading = rewrite_everywhere(EXPAND, canon(averaged, env), context)     # one sum, then its common factor
    closed, finishing = simplify(spread, context)
    rules = tuple(dict.fromkeys(used + averaging + spreading + finishing))
    return (closed, rules) if A.size(closed) < A.size(written) else None


def _without_deltas(expr, deltas: dict) -> A.Expr | None:
    """Every δ replaced by its expression, until none is left (δ's use earlier
    δ's); None once it is longer than a closed form worth reading."""
    for _ in range(len(deltas) + 1):
        replaced = A.substitute(expr, deltas)
        if replaced == expr:
            return expr
        if A.size(replaced) > MAX_CLOSED_FORM:
            return None
        expr = replaced
    return None


def _centred(name: str, statements, context: Context) -> bool:
    """1^T v = 0 for the vector v = name, by ``centered-sum`` on v with the
    means it uses written out (``c = x - mu 1``, ``mu = mean(x)``); the values
    they are means of stay names, so the cost is one statement's, however
    deep the program."""
    env = context.env
    symbol = A.Symbol(name)
    if not env.is_vector(symbol):
        return False
    rows, cols = env.shape(symbol)
    means = [(n, d) for n, d in statements if isinstance(d, A.Mean) or n == name]
    total = canon(A.Product((A.Transpose(A.Ones(rows, cols)), write_out(symbol, means, context))), env)
    folded, used = rewrite_everywhere(("centered-sum",), total, context)
    return "centered-sum" in used and is_zero(folded)


def _fold_centred_sums(expr, centred: set, env):
    """A product with c^T 1 or 1^T c in it, c centred, is 0 (centered-sum)."""
    kids = A.children(expr)
    if kids:
        expr = A.with_children(expr, [_fold_centred_sums(k, centred, env) for k in kids])
    if isinstance(expr, A.Product):
        centred_symbol = lambda node: isinstance(node, A.Symbol) and node.name in centred
        for left, right in zip(expr.args, expr.args[1:]):
            column_sum = isinstance(left, A.Transpose) and centred_symbol(left.arg) and isinstance(right, A.Ones)
            row_sum = isinstance(left, A.Ones) and left.rows is not None and left.rows.is_one and centred_symbol(right)
            if column_sum or row_sum:
                return zero_like(expr, env)
    return expr


def _in_normalised_names(expr, statements, env, collect):
    """xh = c / σ (c a value of the program, σ scalars) means c = σ xh: each
    such c is written through its normalised name, where that is shorter."""
    for name, definition in statements:
        factors = _factors(canon(definition, env))
        vectors = [f for f in factors if not env.is_scalar(f)]
        if len(vectors) != 1 or not isinstance(vectors[0], A.Symbol) or vectors[0].name == name:
            continue
        scale = [A.Power(f, A.MINUS_ONE) for f in factors if env.is_scalar(f)]
        if not scale or vectors[0] not in A.walk(expr):
            continue
        through = collect(canon(A.substitute(expr, {vectors[0]: A.Product(tuple(scale) + (A.Symbol(name),))}), env))
        if A.size(through) <= A.size(expr):       # not longer, and in the program's later name
            expr = through
    return expr


def _factors(expr):
    return list(expr.args) if isinstance(expr, A.Product) else [expr]


def _counts_beside_sums(expr, env):
    """Within a group of scalars, a count n^{-1} stands just before the inner
    product it divides (γ σ^{-1} n^{-1} w^T 1), so the ``mean-of-*`` rules see
    w^T 1 / n; scalars commute, so the value is the same."""
    kids = A.children(expr)
    if kids:
        expr = A.with_children(expr, [_counts_beside_sums(k, env) for k in kids])
    if not isinstance(expr, A.Product) or not env.is_scalar(expr):
        return expr
    counts = [f for f in expr.args if isinstance(f, A.Power) and isinstance(f.base, A.DimValue)]
    first_matrix = next((i for i, f in enumerate(expr.args) if not env.is_scalar(f)), None)
    if not counts or first_matrix is None:
        return expr
    before = [f for f in expr.args[:first_matrix] if f not in counts]
    return A.Product(tuple(before + counts) + expr.args[first_matrix:])
