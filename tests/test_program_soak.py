"""The program soak's generator (tests/program_strategies.py, issue 24): a few
generated programs checked against torch.autograd of the generator's own
torch reading, and the defects the soak (benchmarks/program_soak.py) found,
each pinned as the program it was found on."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import matcalc
from matcalc.language import ast as A
from matcalc.numeric import program as program_values
from program_strategies import random_program

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(24)


def _derive(text: str, where: str, wrt: str = "all", method: str = "trace"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matcalc.MatcalcWarning)
        return matcalc.derive(text, wrt=wrt, where=where or None, method=method)


def _autograd_errors(program, seed: int, method: str = "trace") -> dict:
    """name -> relative error of matcalc's gradient against autograd's at random values."""
    gradients = _derive(program.text, program.where, program.wrt_text, method)
    values = program.values(seed)
    found = {gradients.problem.typed.name_of(name): value for name, value in gradients.evaluate(values).items()}
    _, reference = program.torch_gradients(values)
    errors = {}
    for name, expected in reference.items():
        answer = np.asarray(found[gradients.problem.typed.name_of(name)]).reshape(expected.shape)
        errors[name] = float(np.max(np.abs(answer - expected))) / max(float(np.max(np.abs(expected))), 1e-8)
    return errors


@pytest.mark.parametrize("index", range(10))
def test_generated_programs_agree_with_autograd(index):
    program = random_program(0, index)
    errors = _autograd_errors(program, seed=index)
    assert errors and max(errors.values()) < 1e-6, (program.text, program.where, errors)


@pytest.mark.parametrize("method", ["index", "vec"])
@pytest.mark.parametrize("index", range(3))
def test_generated_programs_by_the_other_methods_agree_with_autograd(index, method):
    """The backward sweep by components and by vec (program_soak.py --method;
    seed 41: 1,000 programs each, all agree)."""
    program = random_program(1, index)
    errors = _autograd_errors(program, seed=index, method=method)
    assert errors and max(errors.values()) < 1e-6, (program.text, program.where, errors)


def test_the_generator_covers_what_the_issue_lists():
    programs = [random_program(0, index) for index in range(80)]
    families = {family for program in programs for family in program.families}
    assert {"mlp", "batched", "rnn", "gru", "attention", "norm", "tied", "residual",
            "softmax", "bce", "squared", "logistic", "wrt-data"} <= families
    assert max(program.text.count("mean(") for program in programs) >= 2 * 4     # four layer norms stacked
    assert any(";" in program.where and ", " in program.where for program in programs)


def test_the_torch_reading_catches_a_wrong_gradient():
    # the reference is independent: a gradient scaled by 1.01 is measured as wrong
    program = random_program(0, 0)
    gradients = _derive(program.text, program.where, program.wrt_text)
    values = program.values(0)
    _, reference = program.torch_gradients(values)
    name = next(iter(reference))
    found = gradients.evaluate(values)[gradients.problem.typed.name_of(name)]
    wrong = 1.01 * np.asarray(found).reshape(reference[name].shape)
    assert np.max(np.abs(wrong - reference[name])) > 1e-3 * np.max(np.abs(reference[name]))


# ---- check() on programs whose named σ(z) rounds to 1 (soak seed 1, cases 11 and 210)
GRU_BCE = ("z1 = sigma(Wz x1 + Uz h0); r1 = sigma(Wr x1 + Ur h0); hc1 = tanh(U x1 + W (r1 ⊙ h0)); "
           "h1 = (1 - z1) ⊙ h0 + z1 ⊙ hc1; z2 = sigma(Wz x2 + Uz h1); r2 = sigma(Wr x2 + Ur h1); "
           "hc2 = tanh(U x2 + W (r2 ⊙ h1)); h2 = (1 - z2) ⊙ h1 + z2 ⊙ hc2; z3 = sigma(Wz x3 + Uz h2); "
           "r3 = sigma(Wr x3 + Ur h2); hc3 = tanh(U x3 + W (r3 ⊙ h2)); h3 = (1 - z3) ⊙ h2 + z3 ⊙ hc3; "
           "a1 = W1 h3 + b1; h4 = a1 ⊙ sigma(a1); z4 = W2 h4; p1 = sigma(z4); "
           "l1 = -y1^T log(p1) - (1 - y1)^T log(1 - p1)",
           "Wr: 11 x 3; x1: data; y1: data; x2: data; x3: data")
TIED_BCE = ("z1 = sigma(W1 x1); r1 = W1^T z1; z2 = sigma(W2 r1); r2 = W2^T z2; a1 = b1 + W3 r2; "
            "h1 = tanh(a1); h2 = r2 + h1; a2 = W4 h2; h3 = softplus(a2); h4 = h2 + h3; z3 = W5 h4; "
            "p1 = sigma(z3); l1 = -y1^T log(p1) - (1 - y1)^T log(1 - p1)",
            "x1: data; W4: 8 x 8; y1: data")


BATCHED_BCE = ("A1 = W1 X1 + b1 1^T; H1 = sigma(A1); A2 = W2 H1; H2 = softplus(A2); Z1 = sigma(W3 H2); "
               "R1 = W3^T Z1; Z2 = W4 R1; P1 = sigma(Z2); "
               "l1 = -sum(Y1 ⊙ log(P1) + (1 1^T - Y1) ⊙ log(1 1^T - P1))",
               "Y1: 4 x 9, data; X1: data")
ATTENTION_BCE = ("Q1 = Wq1 X1; K1 = Wk1 X1; V1 = Wv1 X1; S1 = K1^T Q1 / 2; A1 = softmax(S1); O1 = V1 A1; "
                 "Z1 = sigma(W1 O1); R1 = W1^T Z1; A2 = W2 R1; H1 = softplus(A2); Z2 = W3 H1; P1 = sigma(Z2); "
                 "l1 = -sum(Y1 ⊙ log(P1) + (1 1^T - Y1) ⊙ log(1 1^T - P1))",
                 "Y1: data; X1: data; W1: 11 × 8")


@pytest.mark.parametrize("text, where, seed", [(*GRU_BCE, 1), (*TIED_BCE, 0),
                                               # soak seed 24, cases 867 and 512: log(1 1^T - P) of a
                                               # matrix P = σ(Z), and 1 1^T named as a shared part
                                               (*BATCHED_BCE, 24 * 100003 + 867),
                                               (*ATTENTION_BCE, 24 * 100003 + 512)])
def test_check_of_a_named_sigma_inside_log(text, where, seed):
    # log(1 - p1) of p1 = σ(z4) rounded to 1: the written-out l is finite and
    # smooth (log(1 - σ(z)) is computed stably), the statements were not: the
    # GRU's check() said 1.0 for right answers (differences of a piecewise
    # constant l), the tied network's raised ZeroDivisionError (l = inf)
    assert _derive(text, where).check(seed=seed) < 1e-6


def test_check_skips_points_where_the_statements_are_not_finite(monkeypatch):
    # without the stable reading of the statements, a point where they are
    # infinite is passed over (another one is tried), not divided by
    monkeypatch.setattr(program_values, "_squashed_values_inside_logs", lambda statements: statements)
    assert _derive(*TIED_BCE).check(seed=0) < 1e-6


def test_squashed_values_are_written_out_inside_logs_only():
    from matcalc.language.parser import parse_program
    parsed = parse_program("z = W x; p = sigma(z); q = 2 p; l = -y^T log(p) + sum(q)", {})
    statements = program_values._squashed_values_inside_logs(list(parsed.bindings) + [("l", parsed.result)])
    from matcalc.printers.text import to_text
    texts = {name: to_text(definition) for name, definition in statements}
    assert texts["l"] == "-y^T log(σ(z)) + sum(q)" and texts["q"] == "2 p"


def test_log_of_one_minus_sigma_of_a_matrix_is_evaluated_stably():
    # log(1 1^T - σ(Z)) at Z = 40: 1 - σ(40) rounds to 0 (log = -inf), log σ(-40) = -40
    from matcalc.language.parser import parse_program
    from matcalc.lowering.builder import stable_log
    from matcalc.numeric.evaluate import Point, evaluate
    from matcalc.shapes.infer import infer
    source = "sum(log(1 1^T - sigma(Z)))"
    (tree,), _, env = infer([parse_program(source).result], source, {})
    log = next(node for node in A.walk(tree) if isinstance(node, A.Func) and node.name == "log")
    assert stable_log(log)[0] == "log_sigmoid"
    Z = np.full((3, 4), 40.0) + RNG.uniform(0, 1, (3, 4))
    value = evaluate(tree, Point({"Z": Z}, {}))
    assert np.isclose(float(np.ravel(value)[0]), -float(np.sum(Z)) - float(np.sum(np.log1p(np.exp(-Z)))), rtol=1e-12)


@pytest.mark.parametrize("z", [36.5, 30.25, -35.0])
def test_the_label_gradient_of_bce_where_p_rounds_to_one(z):
    # soak seed 24, case 3321 (a data label asked for by name): ∂l/∂t = log(1 - p) - log(p)
    # = -z, which the backward pass computes from the named p = σ(z); from the rounded p
    # log(1 - p) lost every digit (check() 8.9e-3), so evaluate gave a wrong number
    gradients = _derive("z = w^T x + c; p = sigma(z); l = -t log(p) - (1 - t) log(1 - p)",
                        "c, t: scalar; t, x: data", "w, c, t")
    x = RNG.standard_normal(4)
    w = x / (x @ x) * (z - 0.5)                 # w^T x + c = z
    found = gradients.evaluate({"w": w, "x": x, "c": 0.5, "t": 0.25})
    assert np.isclose(float(np.ravel(found["t"])[0]), -z, rtol=1e-12)
    expected = _autograd_bce(w, x, 0.5, 0.25)
    assert np.allclose(np.ravel(found["w"]), expected, rtol=1e-9)


def _autograd_bce(w, x, c, t) -> np.ndarray:
    w = torch.tensor(w, requires_grad=True)
    z = w @ torch.tensor(x) + c
    # the stable form: -t log σ(z) - (1 - t) log σ(-z)
    loss = -t * torch.nn.functional.logsigmoid(z) - (1 - t) * torch.nn.functional.logsigmoid(-z)
    gradient, = torch.autograd.grad(loss, [w])
    return gradient.numpy()
