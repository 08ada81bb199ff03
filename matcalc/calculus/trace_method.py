"""Identification: bring ``dl`` (linear in dX) to ``tr(C^T dX)`` and read off C.

The strategy is explicit and small: make every term a trace (scalar-trace,
trace-sum, trace-scalar), then per term move dX out of transposes
(trace-transpose, transpose-*), out of Hadamard products (cyclic, then
hadamard-swap), out of diag/sum/mean, and finally to the end of the product
(cyclic).  Every rewrite is done by a catalog rule; this module only chooses
which rule and where.
"""

from __future__ import annotations

from ..language import ast as A
from ..rewriting.canon import canon
from ..language.ast import split_coefficient
from ..errors import DerivationError, InternalError
from ..rewriting.engine import Context, instantiate, rewrite, rewrite_everywhere, rewrite_with, right_side
from .vec_method import Vectorizer

MAX_ROUNDS = 60
TRANSPOSE_RULES = ("transpose-product", "transpose-sum", "transpose-hadamard", "transpose-kron")


def terms_of(expr: A.Expr) -> list:
    return list(expr.args) if isinstance(expr, A.Add) else [expr]


class Identifier:
    """Rewrites the terms of dl, one layer per round, recording the rules."""

    def __init__(self, wrt: A.Symbol, context: Context):
        self.dX = A.Differential(wrt)
        self.context = context
        self.env = context.env
        # The end of a term brought to the vec form g^T vec(dX) (see through_vec).
        self.vec_dX = canon(A.Vec(self.dX), self.env)

    def contains_dX(self, expr) -> bool:
        return A.contains(expr, self.dX)

    # A term is (coefficient, trace) with the coefficient free of dX.
    def as_traces(self, dl: A.Expr):
        """dl = Σ c_i tr(P_i): the scalar-trace step."""
        pairs = []
        for term in terms_of(dl):
            coefficient, rest = self.split_scalar(term)
            pairs.append((coefficient, rest if isinstance(rest, A.Trace) else A.Trace(rest)))
        return pairs

    def split_scalar(self, term):
        """A scalar product c · F with F the one factor carrying dX."""
        if isinstance(term, A.Product):
            carrying = [f for f in term.args if self.contains_dX(f)]
            if len(carrying) == 1 and self.env.is_scalar(carrying[0]):
                others = tuple(f for f in term.args if f is not carrying[0])
                return (others[0] if len(others) == 1 else A.Product(others)), carrying[0]
            number, rest = split_coefficient(term)
            if number != 1:
                return A.Number(number), rest
        return A.ONE, term

    def done(self, trace: A.Trace) -> bool:
        inner = trace.arg
        return inner in (self.dX, self.vec_dX) or (
            isinstance(inner, A.Product) and inner.args[-1] in (self.dX, self.vec_dX)
            and sum(self.contains_dX(f) for f in inner.args) == 1)

    def inside_vec_or_kron(self, expr) -> bool:
        return A.holds(expr, A.Vec, A.Kron) and any(
            isinstance(node, (A.Vec, A.Kron)) and self.contains_dX(node) for node in A.walk(expr))

    def through_vec(self, coefficient, trace: A.Trace, used: list):
        """tr(P) = g^T vec(dX) by the vec rules, when dX sits inside vec or ⊗
        where no trace rule reaches it (SPEC §3: vec/Kronecker where needed)."""
        row = Vectorizer(self.dX.arg, self.context).jacobian(trace, used)
        return coefficient, A.Trace(canon(A.Product((row, self.vec_dX)), self.env))

    def step(self, coefficient, trace: A.Trace, used: list):
        """One rewrite of tr(P) toward tr(M dX).  Returns the new (c, tr)."""
        inner = trace.arg
        context = self.context
        factors = list(inner.args) if isinstance(inner, A.Product) else [inner]
        carrier_index = next(i for i, f in enumerate(factors) if self.contains_dX(f))
        carrier = factors[carrier_index]
        others = factors[:carrier_index] + factors[carrier_index + 1:]
        constant_scalars = [f for f in others if self.env.is_scalar(f)]
        if isinstance(inner, A.Kron) and all(self.env.is_square(f) for f in inner.args):
            used.append("trace-kron")
            first, rest = inner.args[0], inner.args[1:]
            rewritten = rewrite_with("trace-kron", {"?A": first, "?B": A.joined(A.Kron, rest)}, trace, context)
            new_coefficient, new_trace = self.split_scalar(rewritten)
            return canon_times(coefficient, new_coefficient, self.env), self.retrace(new_trace, used)
        if self.inside_vec_or_kron(inner):
            return self.through_vec(coefficient, trace, used)
        if constant_scalars:
            used.append("trace-scalar")
            rest = [f for f in factors if not (f in constant_scalars)]
            pulled = A.product_of(constant_scalars)
            rewritten = self.scalar_out(pulled, A.product_of(rest))
            new_coefficient, new_trace = self.split_scalar(rewritten)
            return canon_times(coefficient, new_coefficient, self.env), new_trace

        if self.env.is_scalar(carrier) and others:
            used.append("trace-scalar")
            rewritten = self.scalar_out(carrier, A.product_of(others))
            new_coefficient, new_rest = self.split_scalar(rewritten)
            return canon_times(coefficient, new_coefficient, self.env), self.retrace(new_rest, used)
        if isinstance(carrier, A.Trace) and not others:
            return coefficient, carrier
        if isinstance(carrier, A.Transpose):
            unpushable = not isinstance(carrier.arg, (A.Product, A.Add, A.Hadamard, A.Kron))
            if unpushable:
                # tr(P) = tr(P^T) with the transpose pushed onto the factors at
                # once: canon would drop the transpose of a scalar P unexpanded.
                used.extend(["trace-transpose", "transpose-product"])
                flipped = [canon(A.Transpose(f), self.env) for f in reversed(factors)]
                return coefficient, A.Trace(A.product_of(flipped))
            pushed, rules = rewrite_everywhere(TRANSPOSE_RULES, trace, context)
            if pushed == trace:
                raise InternalError("a transpose of a product, sum or ⊙ always pushes")
            used.extend(rules)
            return coefficient, pushed
        if carrier_index != len(factors) - 1:
            used.append("cyclic")
            cut = A.product_of(factors[:carrier_index + 1]), A.product_of(factors[carrier_index + 1:])
            # the line read as the two groups (a grouping no reader notices)
            subject = canon(A.Trace(A.Product(cut)), self.env)
            moved = rewrite_with("cyclic", {"?A": cut[0], "?B": cut[1]}, subject, context, exact=True)
            return coefficient, moved
        if carrier == self.dX:
            raise InternalError("identification finished but not recognised")
        before = others          # the carrier is last: everything else stands before it
        if isinstance(carrier, A.Hadamard):
            parts = list(carrier.args)
            k = next(i for i, p in enumerate(parts) if self.contains_dX(p))
            rest = parts[:k] + parts[k + 1:]
            rest_expr = rest[0] if len(rest) == 1 else A.Hadamard(tuple(rest))
            # tr(A^T (B ⊙ C)) with A^T the factors before the Hadamard product
            # as they stand (the identity when there are none), the factor
            # carrying dX last in the ⊙ (it commutes: a reordering no reader
            # notices); the rule's left side is then the line exactly.
            written = _transposed(A.product_of(before), self.env) if before \
                else A.Identity(self.env.shape(carrier)[0])
            bindings = {"?A": written, "?B": rest_expr, "?C": parts[k]}
            subject = canon(A.Trace(A.product_of(before + [A.Hadamard(tuple(rest + [parts[k]]))])), self.env)
            rewrite_with("hadamard-swap", bindings, subject, context, exact=True)
            # A written with its transposes pushed in, by the rules cited with it
            left, pushes = pushed_transposes(written, context)
            used.append("hadamard-swap")
            used.extend(rule for rule in pushes if rule not in used)
            swapped = right_side(context.rule("hadamard-swap"), {**bindings, "?A": left}, subject, context)
            return coefficient, swapped
        if isinstance(carrier, A.Diag):
            if self.env.is_vector(carrier):        # diag of a matrix: u^T diag(G) = tr(diag(u) G)
                used.append("diag-trace")
                row = A.product_of(before)
                u = _transposed(row, self.env)
                result = rewrite_with("diag-trace", {"?u": u, "?A": carrier.arg}, inner, context)
                return coefficient, result
            used.append("trace-diag")
            result = rewrite_with("trace-diag", {"?A": A.product_of(before) if before else A.Identity(self.env.shape(carrier)[0]),
                                                 "?v": carrier.arg}, trace, context)
            return coefficient, self.retrace(result, used)
        if isinstance(carrier, (A.Sum, A.Mean)):
            name = "sum-entries" if isinstance(carrier, A.Sum) else "mean-entries"
            used.append(name)
            replaced = rewrite(name, carrier, context)
            return coefficient, canon(A.Trace(A.product_of(before + [replaced])), self.env)
        if isinstance(carrier, A.Product):
            return coefficient, canon(A.Trace(A.product_of(before + list(carrier.args))), self.env)
        raise DerivationError(
            f"cannot bring a term with {type(carrier).__name__.lower()}(...) around the differential "
            "into the form tr(C^T dX)")

    def scalar_out(self, scalar, rest):
        """tr(c A) = c tr(A) (trace-scalar), the scalar factors read first
        (scalars commute: a reordering no reader notices), so that the rule's
        left side is the line exactly."""
        subject = canon(A.Trace(A.Product((scalar, rest))), self.env)
        return rewrite_with("trace-scalar", {"?c": scalar, "?A": rest}, subject, self.context, exact=True)

    def pushed(self, expr):
        return push_transposes(expr, self.context)

    def retrace(self, expr, used):
        if isinstance(expr, A.Trace):
            return expr
        used.append("scalar-trace")
        return A.Trace(expr)

    def gradient_part(self, coefficient, trace: A.Trace) -> A.Expr:
        """tr(M dX) = tr(C^T dX) with C = M^T (M = I when tr(dX) stands alone)."""
        inner = trace.arg
        m = A.Identity(self.env.shape(inner)[0])
        if isinstance(inner, A.Product):
            prefix = A.product_of(inner.args[:-1])
            # tr(c dX) with a scalar c: C = c I.
            m = A.Product((prefix, m)) if self.env.is_scalar(prefix) \
                else self.pushed(_transposed(prefix, self.env))
        ends_in_vec = inner == self.vec_dX or (isinstance(inner, A.Product)
                                               and inner.args[-1] == self.vec_dX)
        if ends_in_vec and self.vec_dX != self.dX:
            # g^T vec(dX) = tr(unvec(g)^T dX); the answer's step after identify
            # rewrites (A ⊗ B) vec(Y) in g (kron-vec: strategy.simplified_answer)
            m = A.Unvec(m, *self.env.shape(self.dX))
        return canon_times(coefficient, m, self.env)


def identify_gradient(dl, X, context, record):
    """C in dl = tr(C^T dX): every term made a trace, then rewritten one layer
    per round; ``record(rule, expression, rules)`` takes each round as a step."""
    identifier = Identifier(X, context)
    env = context.env
    pairs = identifier.as_traces(dl)
    as_traces = _render_traces(pairs, env)
    if as_traces != dl:
        record("scalar-trace", as_traces, ["scalar-trace"])
    for _ in _rounds(dl):
        finished = [identifier.done(trace) for _, trace in pairs]
        if all(finished):
            break
        used: list[str] = []
        pairs = [(c, t) if done else identifier.step(c, t, used) for (c, t), done in zip(pairs, finished)]
        pairs = [(c, canon(t, env)) for c, t in pairs]
        if used:        # regrouping a product or unwrapping tr(tr(..)) is no rule
            record(used[0], _render_traces(pairs, env), used)
    else:
        raise DerivationError("could not bring dl into the form tr(C^T dX)")
    parts = [identifier.gradient_part(c, t) for c, t in pairs]
    return canon(A.Add(tuple(parts)) if len(parts) > 1 else parts[0], env)


def _rounds(dl):
    """max(MAX_ROUNDS, 3 depth(dl)) rounds: each round peels at least one
    layer around dX, and deep networks need more (their depth is measured
    only when they do)."""
    yield from range(MAX_ROUNDS)
    yield from range(MAX_ROUNDS, 3 * A.depth(dl))


def _render_traces(pairs, env):
    terms = [canon_times(c, t, env) for c, t in pairs]
    return terms[0] if len(terms) == 1 else A.Add(tuple(terms))


def canon_times(coefficient, expr, env):
    """canon(c expr) for a scalar c.  For c = 1 that is canon(expr) itself
    unless it is a product, a number, a zero or a 1×1 identity (the only
    factors canon's product does more with than keep alone): found without
    building and simplifying the product, as every round of every term would."""
    if coefficient == A.ONE:
        alone = canon(expr, env)
        if not (isinstance(alone, (A.Product, A.Number, A.Zero))
                or isinstance(alone, A.Identity) and (alone.size is None or alone.size.is_one)):
            return alone
    return canon(A.Product((coefficient, expr)), env)


def push_transposes(expr, context: Context) -> A.Expr:
    """Transposes moved onto the leaves: (y^T W)^T = W^T y."""
    return pushed_transposes(expr, context)[0]


def pushed_transposes(expr, context: Context) -> tuple:
    """push_transposes, and the rules it used (for a step to cite)."""
    expr = canon(expr, context.env)
    if not _transposed_compound(expr):
        return expr, []                              # nothing to push (most calls)
    through = canon(_through_products(expr, context), context.env)
    used = ["transpose-product"] if through != expr else []
    if not _transposed_compound(through):
        return through, used                         # only products were transposed
    pushed, rules = rewrite_everywhere(TRANSPOSE_RULES, through, context)
    return pushed, used + rules


def _transposed_compound(expr) -> bool:
    # (the classes the tree holds first: most trees hold no transpose, or nothing compound)
    return A.holds(expr, A.Transpose) and A.holds(expr, *COMPOUND) and any(
        isinstance(node, A.Transpose) and isinstance(node.arg, COMPOUND) for node in A.walk(expr))


def _through_products(expr, context: Context) -> A.Expr:
    """(A1 … An)^T by transpose-product at the middle cut, again on each
    half, the factors collected flat and put into canonical form once: a
    pass of the engine per level would put each half into canonical form,
    n log n in all."""
    if isinstance(expr, A.Transpose) and isinstance(expr.arg, A.Product):
        return A.Product(tuple(_transposed_factors(expr.arg, context)))
    kids = A.children(expr)
    return A.with_children(expr, [_through_products(k, context) for k in kids]) if kids else expr


def _transposed_factors(product: A.Product, context: Context) -> list:
    rule = context.rule("transpose-product")
    middle = len(product.args) // 2
    halves = {"?A": A.joined(A.Product, product.args[:middle]), "?B": A.joined(A.Product, product.args[middle:])}
    pushed = instantiate(rule, rule.rhs, halves, context)
    factors = []
    for factor in (pushed.args if isinstance(pushed, A.Product) else (pushed,)):
        if isinstance(factor, A.Transpose) and isinstance(factor.arg, A.Product):
            factors.extend(_transposed_factors(factor.arg, context))
        else:
            factors.append(_through_products(factor, context))
    return factors


COMPOUND = (A.Product, A.Add, A.Hadamard, A.Kron)


def _transposed(expr, env):
    return canon(A.Transpose(expr), env)
