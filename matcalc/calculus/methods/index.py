"""The index method (SPEC §3; seed 001 思路一): by components.

The differential is written by components with sums over repeated indices
(``dl = Σ_i Σ_j Σ_k c_i (W2)_ij ... (dW1)_jk x_k``), each entry of X is an
independent variable (``∂(dX)_jk/∂X_pq = δ_jp δ_kq``), the Kronecker deltas
are contracted, and the matrix is reassembled (``∂l/∂W_pq = g_p x_q``, so
``∂l/∂W = g x^T``), every line citing the rules of ``rules/index.components``.
Gradients wrt vectors and matrices; Jacobians (and so Hessians): of vectors
wrt vectors as the matrix J_iq, with a matrix F or X from ∂F_ij/∂X_pq =
P_ip Q_jq read as vec(dF) = (Q ⊗ P) vec(dX).  What it cannot write (vec or ⊗
around dX, a Jacobian whose entries are no such product) is a DerivationError
that suggests the vec or trace method.
"""

from __future__ import annotations

from ...errors import DerivationError
from ...language import ast as A
from ...language import index_ast as I
from ...rewriting.canon import canon
from ..steps import DIFFERENTIAL, GRADIENT, JACOBIAN, Label
from .components import Indices, Writer, render
from .index_stage import by_components
from .reassembly import MAX_ROUNDS, Reassembler, contracted, identified


class IndexMethod:
    name = "index"

    def differential_stage(self, shared):
        def by_components_stage(expr, variables, env, function, *rest, **options):
            taken = shared(expr, variables, env, function, *rest, **options)
            earlier = rest[0] if rest else options.get("steps", ())
            # in a backward sweep the local tr(δv^T f) is no value of the program: no line by components
            backprop = options.get("first", ("definition",))[0] == "backprop"
            return by_components(taken, len(earlier), taken.context, define=not backprop)
        return by_components_stage

    def gradient(self, dl, X, context, record):
        env = context.env
        rows, cols = env.shape(X)
        indices = Indices.for_problem(env)
        p = None if rows.is_one else indices.free("p")          # (a row X has only a column index)
        q = None if cols.is_one else indices.free("q")
        label = Label(GRADIENT, record.function, X.name, index="|" + "".join(i for i in (p, q) if i))
        return _derivative(dl, X, context, record, indices, (None, None), (p, q), label,
                           _two_indices((p, q), (rows, cols)))

    def jacobian(self, dF, X, context, record):
        """∂f_i/∂x_q for vectors (two indices); with a matrix F or X the entries
        ∂F_ij/∂X_pq = P_ip Q_jq are read as vec(dF) = (Q ⊗ P) vec(dX) (vec-kron)."""
        env = context.env
        f_rows, f_cols = env.shape(dF)
        x_rows, x_cols = env.shape(X)
        indices = Indices.for_problem(env)
        i = None if f_rows.is_one else indices.free("i")
        j = None if f_cols.is_one else indices.free("j")
        p = None if x_rows.is_one else indices.free("p" if j or not x_cols.is_one else "q")
        q = None if x_cols.is_one else indices.free("q")
        label = Label(JACOBIAN, record.function, X.name, index=_joined(i, j) + "|" + _joined(p, q))
        used: list[str] = []
        if j is None and q is None:          # vectors: the matrix J_ip
            final = _two_indices((i, p), (f_rows, x_rows))
        else:
            final = _kronecker((i, j), (p, q), ((f_rows, f_cols), (x_rows, x_cols)), X, record.label)
        jacobian = _derivative(dF, X, context, record, indices, (i, j), (p, q), label, final, used)
        return jacobian, used


def _joined(*indices) -> str:
    return "".join(i for i in indices if i)


def _derivative(d, X, context, record, indices, outer, free, label, final, every_rule=None):
    """The derivative of the function whose differential is ``d`` (entries
    ``outer``) wrt X (entries ``free``), a line per rule; ``final`` reads the
    matrix off the reassembled terms (and records its line)."""
    env = context.env
    dX = A.Differential(X)
    every_rule = [] if every_rule is None else every_rule
    shown_before = {rule for step in record.log.steps for rule in step.rules}   # cited above already
    pending: list[str] = []          # rules of a regrouping that reads the same (h_p (1 - h_p) as one entry)

    def line(rule_list, terms, step_label):
        shown_rules: list[str] = []
        shown = render(terms, env, shown_rules)
        last = record.log.last
        if last is not None and last.after == shown and step_label == last.label:
            pending.extend(rule_list)
            return
        # writing a constant entry by entry ((1 - h)_j = 1 - h_j) is cited where it is first done
        cited = list(dict.fromkeys(pending + rule_list + [r for r in shown_rules if r not in shown_before]))
        pending.clear()
        shown_before.update(shown_rules)
        every_rule.extend(cited)
        record(cited[0], shown, cited, step_label)

    used: list[str] = []
    reassembler = Reassembler(env, context)
    terms = Writer(env, indices, lambda e: A.contains(e, dX), used, reassembler.transposed).components(d, outer)
    d_label = Label(DIFFERENTIAL, record.function, index=_joined(*outer) + "|")
    last = record.log.last
    if last is None or last.after != render(terms, env):       # (the stage may have written it already)
        line(used or ["index-product"], terms, d_label if _joined(*outer) else record.label)

    x_rows, x_cols = env.shape(X)
    terms = identified(terms, dX, free, (x_rows, x_cols))
    line(["identify-index"], terms, label)
    contracted_terms = [contracted(term) for term in terms]
    if contracted_terms != terms:
        line(["delta-contract"], contracted_terms, label)
    terms = contracted_terms

    for _ in range(MAX_ROUNDS):
        used = []
        changed = [reassembler.round(term, used) for term in terms]
        if all(c is None for c in changed):
            break
        terms = [new if new is not None else old for new, old in zip(changed, terms)]
        line(used, terms, label)
    else:
        raise DerivationError("the index method could not reassemble the matrix; try method='trace'")
    used = []
    result, shown, shown_label = final(reassembler, terms, used, label)
    if not used:          # s_i (δ_iq - s_q) = (diag(s) - s s^T)_iq: the rules it was written with, read back
        render(terms, env, used)
    used = used + pending
    if used:
        every_rule.extend(used)
        record(used[0], shown, list(dict.fromkeys(used)), shown_label)
    return result


def _two_indices(free, shape):
    """G with G_pq the reassembled terms; its line shows (G)_pq."""
    def final(reassembler, terms, used, label):
        result = canon(A.joined(A.Add, [reassembler.matrix(term, free, shape, used) for term in terms]),
                       reassembler.env)
        present = [i for i in free if i]
        return result, I.Entry(result, *(present + [""])[:2]), label
    return final


def _kronecker(outer, free, shapes, X, vec_label):
    """J = Σ Q ⊗ P (times K for a transposed pairing); its line is vec(dF) = J vec(dX)."""
    def final(reassembler, terms, used, label):
        env = reassembler.env
        parts = [reassembler.kron(term, outer, free, shapes, used) for term in terms]
        result = canon(A.joined(A.Add, parts), env)
        return result, canon(A.Product((result, A.Vec(A.Differential(X)))), env), vec_label
    return final
