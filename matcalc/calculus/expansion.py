"""Expansion: products distributed over the sums that carry the
differential, so that each term of dl is linear in dX on its own (the
identification of ``trace_method`` then reads one term at a time).  Every
rewrite is a catalog rule (distribute-*, trace-sum, the transpose rules,
sum-linear, ...); this module only chooses which rule and where.
"""

from __future__ import annotations

from ..language import ast as A
from ..rewriting.canon import canon
from ..rewriting.engine import Context, rewrite_everywhere
from .trace_method import MAX_ROUNDS, TRANSPOSE_RULES

# The rules that distribute a product over a sum in its right / left operand.
DISTRIBUTE = {A.Product: ("distribute-left", "distribute-right"),
              A.Hadamard: ("hadamard-distribute-left", "hadamard-distribute-right"),
              A.Kron: ("kron-distribute-left", "kron-distribute-right")}
LINEAR = {A.Sum: "sum-linear", A.Mean: "mean-linear", A.Vec: "vec-linear", A.Diag: "diag-linear"}


def expand_steps(expr: A.Expr, context: Context) -> list:
    """Products distributed over the sums that carry the differential, so
    each term of dl is linear in dX on its own: one (rules, expression) per
    rule, applied wherever it is due before the next one is (a line says only
    what its rule did: ⊙ distributed, then the product, then the trace)."""
    steps: list = []
    for _ in range(MAX_ROUNDS):
        if not _rewritable_by_expand(expr):
            return steps            # (most dl: a^T dX b has nothing to distribute)
        expanded, rules = expand(expr, context, first=True)
        if not rules:
            return steps
        expr = expanded
        steps.append((rules, expr))
    expanded, used = expand(expr, context)       # sums nested deeper than the rounds: the rest on one line
    return steps + ([(used, expanded)] if used else [])


def _rewritable_by_expand(expr: A.Expr) -> bool:
    """Whether a node of ``expr`` is one a rule of ``expand`` rewrites: a
    product of a sum, tr, sum, mean, vec or diag of a sum, or a transposed
    product, sum or ⊙, holding a d(..).  (expand's walk puts each node into
    canonical form, which leaves a canonical tree as it is.)"""
    if not A.holds(expr, A.Add, A.Transpose) or not _carries_d(expr):
        return False            # each case below needs a sum or a transpose, and a d(..) in it
    for node in A.walk(expr):
        if isinstance(node, (A.Product, A.Hadamard, A.Kron)):
            rewritten = [factor for factor in node.args if isinstance(factor, A.Add)]
        elif isinstance(node, OF_A_SUM) and isinstance(node.arg, A.Add) \
                or isinstance(node, A.Transpose) and isinstance(node.arg, COMPOUND):
            rewritten = [node.arg]
        else:
            continue
        if any(_carries_d(part) for part in rewritten):
            return True
    return False


def _carries_d(node) -> bool:
    return A.holds(node, A.Differential)


COMPOUND = (A.Add, A.Product, A.Hadamard)
OF_A_SUM = (A.Trace, A.Sum, A.Mean, A.Vec, A.Diag)


def expand(expr: A.Expr, context: Context, only: str | None = None, first: bool = False):
    """Distribute products over the sums that carry the differential (only
    by the rule ``only`` when it is given: the transpose rules go together;
    with ``first``, by the first rule the walk meets, there and wherever it
    is due after: a round of ``expand_steps`` in one walk).  Returns (expr, rules)."""
    used: list[str] = []

    def use(rules):
        nonlocal only
        used.extend(rules)
        if first and only is None and rules:
            only = rules[0]

    def due(rule):
        return only is None or rule == only or (only in TRANSPOSE_RULES and rule in TRANSPOSE_RULES)

    def visit(node):
        nonlocal only
        kids = A.children(node)
        if kids:
            node = canon(A.with_children(node, [visit(k) for k in kids]), context.env)
        if isinstance(node, (A.Product, A.Hadamard, A.Kron)):
            for index, factor in enumerate(node.args):
                if isinstance(factor, A.Add) and _carries_d(factor):
                    rules = _distributing(node, index, context.env)
                    if first and only is None:
                        only = rules[0]           # the first rule met: the walk applies it alone from here
                    if only is None:              # both sides at once: the rest after the rounds
                        use(rules)
                        return visit(_distributed(node, index, 0, len(node.args), context.env))
                    if due(rules[0]):
                        use(rules[:1])            # the right side first, then the left
                        start, end = (index, len(node.args)) if rules[0] in RIGHT else (0, index + 1)
                        return visit(_distributed(node, index, start, end, context.env))
        if isinstance(node, A.Trace) and isinstance(node.arg, A.Add) and _carries_d(node.arg) and due("trace-sum"):
            use(["trace-sum"])
            return visit(canon(A.Add(tuple(A.Trace(t) for t in node.arg.args)), context.env))
        if isinstance(node, A.Transpose) and isinstance(node.arg, (A.Add, A.Product, A.Hadamard)) \
                and _carries_d(node.arg) and due(TRANSPOSE_RULES[0]):
            pushed, rules = rewrite_everywhere(TRANSPOSE_RULES, node, context, limit=1)
            use(rules)
            return visit(pushed)
        if isinstance(node, (A.Sum, A.Mean, A.Vec, A.Diag)) and isinstance(node.arg, A.Add) \
                and _carries_d(node.arg):
            vector_diag = isinstance(node, A.Diag) and context.env.is_vector(node.arg)
            rule = "diag-vector-linear" if vector_diag else LINEAR[type(node)]
            if due(rule):
                use([rule])
                return visit(canon(A.Add(tuple(type(node)(t) for t in node.arg.args)), context.env))
        return node

    return visit(expr), list(dict.fromkeys(used))


RIGHT = {rules[1] for rules in DISTRIBUTE.values()} | {"distribute-scalar-sum"}


def _distributing(node, index: int, env) -> list:
    """The rules that distribute ``node`` over its sum at ``index``: the
    right side's first (the factors after the sum), then the left side's;
    scalars before the sum distribute by distribute-scalar (-(a + b), 1/2 (u + v):
    a number times a vector is no matrix product), a sum of scalars over what
    follows it by distribute-scalar-sum."""
    left, right = DISTRIBUTE[type(node)]
    before = node.args[:index]
    if isinstance(node, A.Product) and env.is_scalar(node.args[index]):
        right = "distribute-scalar-sum"          # (dc - dρ) M: a scalar sum times a matrix, no matrix product
    if isinstance(node, A.Product) and before and env.is_scalar(A.product_of(before)):
        left = "distribute-scalar"
    return ([right] if index < len(node.args) - 1 else []) + ([left] if before else [])


def _distributed(node, index: int, start: int, end: int, env):
    """``node`` with the factors args[start:end] around its sum at ``index``
    multiplied into each of the sum's terms."""
    args, terms = node.args, node.args[index].args
    pieces = [A.joined(type(node), args[start:index] + (term,) + args[index + 1:end]) for term in terms]
    return canon(A.joined(type(node), args[:start] + (A.Add(tuple(pieces)),) + args[end:]), env)
