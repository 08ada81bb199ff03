"""The vec method (SPEC §3; seed 001 思路二, seed 003 §2.6).

vec(dl) = (∂l/∂vec X)^T vec(dX) through the chain of Jacobians: one layer
around dX is peeled per line, each by a rule of ``rules/vec.rules``
(vec(A X B) = (B^T ⊗ A) vec(X), diag(vec(·)) for a Hadamard factor, the
commutation matrix for a transpose), so every line adds one Jacobian factor,
as seed 003 writes them.  A gradient is then read off as the column
∂l/∂vec(X) and un-vectorized, one factor per line, by the rules of
``rules/unvec.rules`` ((x ⊗ I) g = vec(g x^T)).  The same peeling gives a
Jacobian (and so a Hessian) line by line.
"""

from __future__ import annotations

from ...errors import DerivationError
from ...language import ast as A
from ...rewriting.canon import canon
from ...rewriting.engine import Context, rewrite_everywhere, rewrite_with
from ..steps import JACOBIAN, Label
from ..trace_method import canon_times, push_transposes
from ..vec_method import Vectorizer

# One layer per line, so no chain can take more lines than its depth; this
# bounds a malformed chain that would never reach dX.
MAX_LAYERS = 400


class _OneLayer(Vectorizer):
    """The vec rules of ``Vectorizer``, one layer at a time: where it would go
    on peeling the inner expression, it stops at vec(inner)."""

    def _peel(self, expr, used):
        return A.Vec(expr)

    def _product(self, expr, used):
        # vec(A v) = A v for a column v that carries dX: A is the next factor of
        # the chain, (∂f/∂y)^T ∂y/∂vec(W) as seed 003 writes it; no rule.
        factors = list(expr.args)
        carrier = next(index for index, factor in enumerate(factors) if self.carries(factor))
        if carrier and self.env.is_vector(rest := A.product_of(factors[carrier:])):
            return A.Product((A.product_of(factors[:carrier]), A.Vec(rest)))
        return super()._product(expr, used)

    def layer(self, expr, used, term_of_sum=False):
        """vec(expr) = M vec(inner) (or a sum of such) for the outermost layer;
        ``term_of_sum``: expr is a term of dF, whose minus sign is the sum's."""
        return self.term(expr, used) if term_of_sum else Vectorizer._peel(self, expr, used)


def _chains(result) -> list:
    """The terms M_1 … M_k vec(inner) of a peeled layer as (factors, inner):
    the continuation is always the right operand (``vec_method._times``)."""
    if isinstance(result, A.Vec):
        return [([], result.arg)]
    if isinstance(result, A.Add):
        return [chain for part in result.args for chain in _chains(part)]
    if isinstance(result, A.Product) and len(result.args) == 2:
        head, rest = result.args
        return [([head] + factors, inner) for factors, inner in _chains(rest)]
    raise DerivationError(f"the vec method cannot write {type(result).__name__.lower()}(...) "
                          "as a Jacobian times vec(dX); try method='trace'")


def _flat(factors) -> list:
    flat = []
    for factor in factors:
        flat.extend(factor.args if isinstance(factor, A.Product) else (factor,))
    return [factor for factor in flat if factor != A.ONE]


def _vectorized(terms, env) -> A.Expr:
    """Σ M_i vec(inner_i) as one expression, for a line of the derivation."""
    parts = [A.product_of(factors + [A.Vec(inner)]) if factors else A.Vec(inner) for factors, inner in terms]
    return canon(A.joined(A.Add, parts), env)


def peel(dF: A.Expr, X: A.Symbol, context: Context, record, label: Label) -> tuple[list, list]:
    """vec(dF) = Σ_i M_i vec(dX), a line per layer; returns ([factors of M_i], rules used)."""
    env = context.env
    peeler = _OneLayer(X, context)
    dX = A.Differential(X)
    terms = [([], term) for term in (dF.args if isinstance(dF, A.Add) else (dF,)) if peeler.carries(term)]
    signs_are_the_sums = len(terms) > 1     # dF = A - M: vec(A) - vec(M) on the first layer, no vec-scalar
    every_rule: list[str] = []
    pending: list[str] = []
    for _ in range(MAX_LAYERS):
        if all(inner == dX for _, inner in terms):
            break
        used: list[str] = []
        peeled = []
        for factors, inner in terms:
            if inner == dX:
                peeled.append((factors, inner))
                continue
            peeled.extend((factors + _flat(more), deeper)
                          for more, deeper in _chains(peeler.layer(canon(inner, env), used, signs_are_the_sums)))
        terms = peeled
        signs_are_the_sums = False
        every_rule += used
        if not used:                    # vec(A v) = A vec(v) for a vector v is no rule: same line
            continue
        line = _vectorized(terms, env)
        if record.log.last is not None and record.log.last.after == line:
            pending += used             # a rule that changes nothing on the page (vec(c v) of a column) joins the next line
        else:
            cited = list(dict.fromkeys(pending + used))
            record(cited[0], line, cited, label)
            pending = []
    else:
        raise DerivationError("the vec method could not reach vec(dX); try method='trace'")
    return [_flat(factors) for factors, _ in terms], list(dict.fromkeys(every_rule))


class VecMethod:
    name = "vec"

    def differential_stage(self, shared):
        return shared

    def jacobian(self, dF, X, context, record):
        env = context.env
        label = record.label            # vec(dF), as the strategy labels it (vec(F) for several columns)
        chains, used = peel(dF, X, context, record, label)
        parts, inner = [], []
        for factors in chains:
            product = A.product_of(factors)
            if env.is_scalar(product):        # a term c vec(dX) is c I vec(dX)
                if any(not env.is_scalar(f) for f in factors):
                    # vec(A)^T vec(B) = tr(A^T B): one number, before I stands beside it
                    product, rules = rewrite_everywhere(("vec-row-trace",), canon(product, env), context)
                    inner += rules
                rows, cols = env.shape(X)
                product = canon_times(product, A.Identity(rows * cols), env)
            parts.append(product)
        jacobian = canon(A.joined(A.Add, parts), env)
        if inner:
            record(inner[0], canon(A.Product((jacobian, A.Vec(A.Differential(X)))), env), inner, label)
        return jacobian, used + inner

    def gradient(self, dl, X, context, record):
        env = context.env
        function = record.function
        row = Label(JACOBIAN, function, X.name, wrt_is_matrix=True)
        chains, _ = peel(dl, X, context, record, Label("differential", function))
        # dl = J vec(dX) with the row J = (∂l/∂vec X)^T: its transpose is the column.
        column = Label(JACOBIAN, function, X.name, wrt_is_matrix=True, wrt_is_scalar=True)
        record("identify-vec", canon(A.joined(A.Add, [A.product_of(f) for f in chains]), env), ["identify-vec"], row)
        transposed = [_flat([push_transposes(A.Transpose(f), context) for f in reversed(factors)])
                      for factors in chains]
        cited = ["transpose-product"] + (["transpose-kron"] if any(isinstance(f, A.Kron) for c in transposed for f in c)
                                         else [])
        record(cited[0], canon(A.joined(A.Add, [A.product_of(f) for f in transposed]), env), cited, column)
        rows, cols = env.shape(X)
        done: list[A.Expr] = []
        for number, factors in enumerate(transposed):
            # each line shows every term: those un-vectorized already as vec(G_k), those to come as they are
            waiting = [A.product_of(f) for f in transposed[number + 1:]]
            line = (lambda current, done=tuple(done), waiting=waiting:
                    canon(A.joined(A.Add, [A.Vec(g) for g in done] + [current] + waiting), env))
            done.append(_unvectorized(factors, rows, cols, context, record, column, line))
        gradient = canon(A.joined(A.Add, done), env)
        # vec(A)^T vec(B) = tr(A^T B): a number the chain left written as vectors
        numbers, rules = rewrite_everywhere(("vec-row-trace",), gradient, context)
        if rules:
            record(rules[0], numbers, rules, column)
        return numbers


def _unvectorized(factors, rows, cols, context, record, label, line) -> A.Expr:
    """G with vec(G) = c M_1 … M_k g, the factors taken in from the right, a
    line per rule (the column g is G itself when X is a vector); the scalars
    c commute and stay in front.  ``line`` writes the whole line around this term."""
    env = context.env
    scalars = [f for f in factors if env.is_scalar(f)]
    factors = [f for f in factors if not env.is_scalar(f)]

    def show(rule):
        record(rule, line(canon(A.product_of(scalars + factors + [A.Vec(inner)]), env)), [rule], label)

    inner = _read(factors.pop())
    if isinstance(inner, A.Kron) and len(inner.args) == 2 and all(env.is_vector(a) for a in inner.args):
        a, b = inner.args
        inner = _read(rewrite_with("kron-vectors-vec", {"?a": a, "?b": b}, inner, context))
        show("kron-vectors-vec")
    while factors:
        factor = factors.pop()
        rule, bindings, inner_matrix = _rule_for(factor, inner, env)
        if rule is None:
            if env.is_vector(inner):
                inner = canon(A.Product((factor, inner)), env)     # vec(M v) = M v: no rule, no line
                continue
            factors.append(factor)
            return canon(A.Unvec(canon(A.product_of(scalars + factors + [A.Vec(inner)]), env), rows, cols), env)
        inner = _read(rewrite_with(rule, bindings, A.Product((factor, A.Vec(inner_matrix))), context))
        show(rule)
    if env.shape(inner) != (rows, cols):
        inner = A.Unvec(A.Vec(inner), rows, cols)
    return canon(A.product_of(scalars + [inner]), env)


def _rule_for(factor, inner, env):
    """The rule of ``rules/unvec.rules`` that takes ``factor`` into vec(M),
    its bindings, and M: ``inner`` seen as the matrix the rule needs (a
    column of r·c entries is vec of an r×c matrix)."""
    if isinstance(factor, A.Kron) and len(factor.args) == 2:
        left, right = factor.args
        matrix = _as_matrix(inner, (env.shape(right)[1], env.shape(left)[1]), env)   # X: cols(B)×cols(A)
        rule, bindings = "kron-vec", {"?A": left, "?B": right, "?X": matrix}
    elif isinstance(factor, A.Diag) and isinstance(factor.arg, A.Vec):
        matrix = _as_matrix(inner, env.shape(factor.arg.arg), env)
        rule, bindings = "diag-vec-hadamard", {"?A": factor.arg.arg, "?B": matrix}
    elif isinstance(factor, A.Diag) and env.is_vector(factor.arg) and env.is_vector(inner):
        return "diag-hadamard", {"?a": factor.arg, "?b": inner}, inner
    elif isinstance(factor, A.Commutation):
        matrix = _as_matrix(inner, (factor.rows, factor.cols), env)
        rule, bindings = "commutation-vec", {"?A": matrix}
    else:
        return None, None, inner
    if matrix is None:              # no matrix whose vec the column is: the factor stays a factor
        return None, None, inner
    return rule, bindings, matrix


def _as_matrix(inner, shape, env):
    """The r×c matrix M whose vec is ``inner`` (vec(v^T) = v, vec(1 1^T) = 1);
    None where only unvec(inner) would say it."""
    rows, cols = shape
    if env.shape(inner) == (rows, cols):
        return inner
    if cols.is_one:             # the column vec(inner) itself (inner itself if it is one)
        return inner if env.is_vector(inner) else canon(A.Vec(inner), env)
    if rows.is_one:
        return canon(A.Transpose(inner if env.is_vector(inner) else A.Vec(inner)), env)
    if isinstance(inner, A.Ones):
        return A.Ones(rows, cols)
    return None


def _read(vectorized: A.Expr) -> A.Expr:
    """Y of vec(Y) (a vector is its own vec)."""
    return vectorized.arg if isinstance(vectorized, A.Vec) else vectorized
