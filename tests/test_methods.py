"""The three methods (SPEC §3 "Three methods"; issue 26): every example and
the soundness suite's random expressions derived by each method, which must
agree with each other and with finite differences, every step citing a rule
of the catalog (or a bookkeeping step of the strategy)."""

from __future__ import annotations

import shlex

import httpx
import numpy as np
import pytest

import matcalc
import strategies as S
from matcalc.calculus.methods import METHODS
from matcalc.calculus.methods.index_rules import index_catalog
from matcalc.calculus.strategy import ENGINE_STEPS
from matcalc.cli import main
from matcalc.errors import DerivationError
from matcalc.numeric.data import random_point
from matcalc.numeric.evaluate import Point, bind_values, evaluate
from matcalc.numeric.indexed import evaluate_indexed, has_indices
from matcalc.rewriting.catalog import default_catalog as catalog
from test_examples import EXAMPLES, options, read_example
from webserver import server  # noqa: F401  (the session fixture)

OTHER_METHODS = sorted(set(METHODS) - {"trace"})
# Examples a method cannot write, each with the construct its error names.
UNSUPPORTED: dict = {
    "index": {},
    "vec": {},
}
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


def known_rules():
    return set(catalog()) | set(ENGINE_STEPS) | set(index_catalog())


def example_request(path):
    command, _ = read_example(path)
    argv = shlex.split(command)[1:]
    expr, wrt, where = options(argv)
    return getattr(matcalc, argv[0]), expr, wrt, where


def values_of(d):
    return random_point(d.problem.expr, d.problem.env, seed=3).values


def agree(first, second, values) -> float:
    a = np.asarray(first.evaluate(values), dtype=float)
    b = np.asarray(second.evaluate(values), dtype=float).reshape(a.shape)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-6))


@pytest.mark.parametrize("method", OTHER_METHODS)
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_by_every_method(path, method):
    command, expr, wrt, where = example_request(path)
    trace = command(expr, wrt=wrt, where=where)
    if path.stem in UNSUPPORTED[method]:
        with pytest.raises(DerivationError, match=UNSUPPORTED[method][path.stem]):
            command(expr, wrt=wrt, where=where, method=method)
        return
    d = command(expr, wrt=wrt, where=where, method=method)
    assert d.check() < 1e-6
    assert agree(trace, d, values_of(trace)) < 1e-8
    rules = {rule for step in d.steps for rule in step.rules}
    assert rules <= known_rules(), rules - known_rules()
    assert all(step.rules for step in d.steps)


def agreement_on_random_cases(command, method: str, count: int) -> tuple[int, int]:
    """The soak grammar's first ``count`` cases (seed 0): whatever the trace
    method derives, ``method`` derives too (or names what it cannot write and
    another method), with the same answer and every step citing a rule.
    Returns (derived, refused)."""
    handled = refused = 0
    for index in range(count):
        case = S.random_case(seed=0, index=index)
        try:
            trace = command(case.expression, wrt=case.wrt, where=case.where)
            values = S.given(case, S.usable_points(case)[0])
        except (matcalc.MatcalcError, S.OutOfDomain):
            continue
        try:
            d = command(case.expression, wrt=case.wrt, where=case.where, method=method)
        except DerivationError as error:
            assert "method=" in error.message, error.message
            refused += 1
            continue
        handled += 1
        with np.errstate(all="ignore"):
            error = agree(trace, d, values)
        assert error < 1e-6, f"#{index} {case.expression} wrt {case.wrt}: {error:.1e}"
        assert {rule for step in d.steps for rule in step.rules} <= known_rules()
    return handled, refused


@pytest.mark.parametrize("method", OTHER_METHODS)
def test_random_expressions_agree(method):
    handled, refused = agreement_on_random_cases(matcalc.derive, method, 120)
    print(f"{method}: {handled} random gradients derived, {refused} refused")
    assert handled >= 3 * refused, (handled, refused)


@pytest.mark.parametrize("method", OTHER_METHODS)
def test_random_hessians_agree(method):
    handled, refused = agreement_on_random_cases(matcalc.hessian, method, 40)
    print(f"{method}: {handled} random Hessians derived, {refused} refused")
    assert handled >= 4 * refused, (handled, refused)


def test_vec_writes_one_jacobian_factor_a_line():
    d = matcalc.derive("sum(sigma(W x))", wrt="W", method="vec")
    rules = [step.rule for step in d.steps]
    assert rules[-8:] == ["vec-sum", "vec-hadamard", "vec-kron", "identify-vec", "transpose-product",
                          "diag-hadamard", "kron-vec", "identify"], rules
    assert "(x^T ⊗ I) vec(dW)" in d.text()
    assert matcalc.derive("sum(sigma(W x))", wrt="W").result == d.result


def test_vec_jacobian_and_hessian_line_by_line():
    j = matcalc.jacobian("sigma(W x)", wrt="W", method="vec")
    assert [s.rule for s in j.steps if s.rule.startswith("vec-")] == ["vec-hadamard", "vec-kron"]
    assert j.check() < 1e-6
    h = matcalc.hessian("-y^T log(softmax(W x))", wrt="W", method="vec")
    assert h.check() < 1e-6


def test_vec_gradient_in_a_program():
    g = matcalc.derive("a = W1 x; h = sigma(a); l = sum(W2 h)", wrt=["W1", "W2"], method="vec")
    assert g.check() < 1e-6
    assert any(step.rule == "identify-vec" for step in g.steps)


KRON_OF_ROWS = ("kron(r^T + a1', z^T) (mu ⊗ H - Sigma A) w",
                "r, a1: vector; r: m x 1; a1: m x 1; z, mu: vector; z: p x 1; mu: p x 1; H: m x n; A: n x n; w: n x 1")


def test_vec_unvectorizes_through_a_kronecker_whose_identity_is_wider_than_the_matrix():
    """((A w) ⊗ I_mp) vec(z (r + a1)^T): the column is vec(M) of an mp×1 M, not
    the p×m z (r + a1)^T, whose vec has as many entries (seed 11 case 149: the
    answer's shapes did not fit and evaluate crashed)."""
    expr, where = KRON_OF_ROWS
    d = matcalc.derive(expr, wrt="Sigma", where=where, method="vec")
    assert d.check() < 1e-6
    trace = matcalc.derive(expr, wrt="Sigma", where=where)
    assert agree(trace, d, values_of(trace)) < 1e-8


def test_the_engine_refuses_bindings_whose_shapes_do_not_fit_the_rule():
    """rewrite_with checks the rule's shapes too: canon drops an identity of
    any size, so (x^T ⊗ I_mp) vec(M) equals its left side with ?X = M, p×m."""
    from matcalc.api import _problem
    from matcalc.errors import InternalError
    from matcalc.language import ast as A
    from matcalc.rewriting.engine import Context, rewrite_with
    problem = _problem("x^T M", "x: vector; M: matrix")
    env = problem.env
    row, M = problem.expr.args
    rows, cols = env.shape(M)
    wide = A.Identity(rows * cols)
    subject = A.Product((A.Kron((row, wide)), A.Vec(M)))
    with pytest.raises(InternalError, match="shapes do not fit"):
        rewrite_with("kron-vec", {"?A": row, "?B": wide, "?X": M}, subject, Context(env))


def test_cli_method_option(capsys):
    assert main(["derive", "x^T A x", "--wrt", "x", "--method", "vec", "--check"]) == 0
    assert "identify-vec" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_status:
        main(["derive", "x^T A x", "--wrt", "x", "--method", "nope"])
    assert exit_status.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_unknown_method_is_a_clear_error():
    with pytest.raises(matcalc.MatcalcError, match="matcalc derives by: trace"):
        matcalc.derive("x^T x", wrt="x", method="einstein")


INDEX_PROBLEMS = [
    (matcalc.derive, "-y^T log(softmax(W2 sigma(W1 x)))", "W1", "y: probability vector"),
    (matcalc.derive, "log(det(X))", "X", None),
    (matcalc.derive, "tr(X A X^T B)", "X", None),
    (matcalc.derive, "sum(exp(W x) ⊙ u)", "W", None),
    (matcalc.jacobian, "softmax(W x)", "x", None),
    (matcalc.jacobian, "A X B", "X", None),
    (matcalc.jacobian, "inv(X)", "X", None),
    (matcalc.jacobian, "X^T", "X", None),
    (matcalc.jacobian, "sigma(W x)", "W", None),
    (matcalc.jacobian, "softmax(Z)", "Z", None),
    (matcalc.hessian, "x^T A x + sum(exp(B x))", "x", None),
]


@pytest.mark.parametrize("command, expr, wrt, where", INDEX_PROBLEMS, ids=[p[1] for p in INDEX_PROBLEMS])
def test_every_index_line_is_the_derivative(command, expr, wrt, where):
    """Each line ∂l/∂X_pq = ... of an index derivation, evaluated with einsum
    over its free indices, is the answer: no line of the method is wrong."""
    d = command(expr, wrt=wrt, where=where, method="index")
    values = values_of(d)
    point, _ = bind_values(values, d.problem.symbols, d.problem.env)
    named = dict(point.values)
    for name, definition in d.outcome.names:
        named[name] = evaluate(definition, Point(named, point.sizes))
    point = Point(named, point.sizes)
    answer = np.asarray(d.evaluate(values), dtype=float)
    answer = answer.reshape(answer.shape[0], -1) if answer.ndim > 1 else answer.reshape(-1, 1)
    known_values = dict(point.values) | {d.problem.function_name: evaluate(d.problem.expr, point)}
    for step in (s for s in d.steps if s.label.kind == "value" and s.label.index and has_indices(s.after)
                 and s.label.function in known_values):
        # a value by components (a1_i = Σ_j W1_ij x_j, l = -Σ_i y_i ...) is the value
        of, _ = step.label.index.split("|")
        got = evaluate_indexed(step.after, point)
        value = np.asarray(known_values[step.label.function], dtype=float)
        ordered = np.transpose(got.value, [got.indices.index(i) for i in of]) if of else got.value
        assert np.allclose(ordered.reshape(-1), value.reshape(-1) if of else value.reshape(()), rtol=1e-8), step
    kind = "gradient" if d.kind == "gradient" else "jacobian"
    lines = [s for s in d.steps if s.label.index and s.label.kind == kind and has_indices(s.after)]
    assert lines
    for step in lines:
        of, by = step.label.index.split("|")
        # a Jacobian's rows and columns are in vec order (the first index runs fastest)
        order = list(of + by) if kind == "gradient" else list(of[::-1] + by[::-1])
        got = evaluate_indexed(step.after, point)
        value = np.transpose(got.value, [got.indices.index(i) for i in order]) if order else got.value
        assert np.allclose(value.reshape(answer.shape), answer, rtol=1e-8, atol=1e-10), step


def test_index_reads_like_seed_001():
    d = matcalc.derive("-y^T log(softmax(W2 sigma(W1 x)))", wrt="W1", where="y: probability vector",
                       method="index")
    text = " ".join(d.text().split())
    for line in ("a1_i = Σ_j W1_ij x_j", "l = -Σ_i y_i logsoftmax(a2)_i", "δ_jp δ_kq", "x^T)_pq"):
        assert line in text, line
    assert {"identify-index", "delta-contract", "index-outer"} <= {s.rule for s in d.steps}
    assert r"\sum_{" in d.latex(steps=True) and r"\delta_{" in d.latex(steps=True)
    assert d.result == matcalc.derive("-y^T log(softmax(W2 sigma(W1 x)))", wrt="W1",
                                      where="y: probability vector").result


def test_page_offers_every_method_and_the_api_takes_it(server):
    page = httpx.get(server.url + "/", timeout=120).text
    assert all(f'<option value="{method}">' in page for method in METHODS)

    def api(**query):
        return httpx.get(server.url + "/api/derive", params=query, timeout=600)
    for method in METHODS:
        answer = api(expr="x^T A x", wrt="x", method=method)
        assert answer.status_code == 200, answer.text
        assert {"trace": "scalar-trace", "index": "identify-index", "vec": "identify-vec"}[method] in answer.text
    refused = api(expr="vec(X) ⊗ x", wrt="X", kind="jacobian", method="index")
    assert refused.status_code == 400 and "method='vec'" in refused.json()["error"]["message"]
    assert api(expr="x^T x", wrt="x", method="nope").status_code == 400


def test_cli_json_carries_the_method_steps(capsys):
    import json
    assert main(["derive", "sum(W x)", "--wrt", "W", "--method", "index", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "identify-index" in json.dumps(data)
    assert main(["jacobian", "vec(X) ⊗ x", "--wrt", "X", "--method", "index"]) == 2
    err = capsys.readouterr().err
    assert "method='vec'" in err and "Traceback" not in err


def test_every_method_derives_a_program_in_one_sweep():
    program = "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))"
    where = "x, y: data; y: probability vector"
    trace = matcalc.derive(program, wrt="all", where=where)
    values = values_of(trace["W1"])
    for method in OTHER_METHODS:
        g = matcalc.derive(program, wrt="all", where=where, method=method)
        assert g.check() < 1e-6
        for name in ("W1", "b1", "W2", "b2"):
            assert agree(trace[name], g[name], values) < 1e-8, (method, name)
    text = " ".join(matcalc.derive(program, wrt="all", where=where, method="index").text().split())
    assert "∂l/∂W2_pq = Σ_i Σ_j δa2_i h1_j δ_ip δ_jq" in text      # a line by components keeps its indices


def test_trace_jacobians_write_their_vec_steps_one_rule_a_line():
    """The trace method's Jacobians and Hessians take the vec route a rule a
    line, as --method vec does (no summary line citing vec-kron, vec-transpose)."""
    j = matcalc.jacobian("A X^T B + X", wrt="X")
    assert [s.rules for s in j.steps if any(r.startswith("vec-") for r in s.rules)] == [("vec-kron",),
                                                                                           ("vec-transpose",)]
    assert j.check() < 1e-6
    for path in EXAMPLES:
        command, expr, wrt, where = example_request(path)
        if command in (matcalc.jacobian, matcalc.hessian):
            d = command(expr, wrt=wrt, where=where)
            for step in d.steps:
                assert sum(rule.startswith("vec-") for rule in step.rules) <= 1 or step.rule == "vec-scalar", \
                    (path.stem, step.rules)


@pytest.mark.parametrize("expr, wrt", [("vec(A)^T vec(X)", "X"), ("tr(A ⊗ X)", "X"), ("tr(A ⊗ X) + sum(X ⊗ A)", "X"),
                                       ("sum(kron(x, y^T) ⊙ B)", "x"), ("vec(B)^T (C ⊗ D) vec(X)", "X")])
def test_index_writes_vec_and_kron_by_pairs_of_indices(expr, wrt):
    """vec(M)_(i,j) = M_ij and (A ⊗ B)_(k,i),(l,j) = A_ij B_kl (index-vec, index-kron):
    the same answer as the trace method, every line replayed by test_method_replay."""
    trace = matcalc.derive(expr, wrt=wrt)
    d = matcalc.derive(expr, wrt=wrt, method="index")
    assert d.check() < 1e-6
    assert agree(trace, d, values_of(trace)) < 1e-8
    assert {"index-vec", "index-kron"} & {rule for step in d.steps for rule in step.rules}


def test_index_refuses_kron_indices_that_split_differently():
    with pytest.raises(DerivationError, match="split differently.*method='vec'"):
        # vec(A)'s index is the pair of A's 3×5 entries, that of B ⊗ C the pair (5, 3)
        matcalc.derive("vec(A)^T (B ⊗ C) vec(X)", wrt="X", where="A: 3×5; B: 3×4; C: 5×2; X: 2×4",
                       method="index")
    assert matcalc.derive("vec(A)^T (B ⊗ C) vec(X)", wrt="X", where="A: 3×5; B: 3×4; C: 5×2; X: 2×4",
                          method="vec").check() < 1e-6


@pytest.mark.parametrize("command, expr, wrt", [
    (matcalc.jacobian, "diag(X)", "X"),                    # ∂f_i/∂X_pq = δ_ip δ_iq: the diagonal only
    (matcalc.jacobian, "diag(X) ⊙ a", "X"),
    (matcalc.hessian, "-sum(Y ⊙ log(softmax(W X)))", "W"),   # Σ_k X_jk X_qk S_ik (δ_ip - S_pk)
])
def test_index_reads_diagonal_and_batched_jacobians(command, expr, wrt):
    trace = command(expr, wrt=wrt)
    d = command(expr, wrt=wrt, method="index")
    assert d.check() < 1e-6
    assert agree(trace, d, values_of(trace)) < 1e-8
    assert "identify-index" in {step.rule for step in d.steps}
