"""examples/backprop/*.sh: backpropagation over many parameters on textbook networks
(SPEC §1, §2, §4, §7; issue 12, item 7).  Each example runs through the CLI and
checks itself; through the API every gradient agrees with central differences of
the written-out function, and the printed answer with its `# expect-P:` line."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

import matcalc
from matcalc.cli import main
from matcalc.language import ast as A
from matcalc.language.parser import parse_declarations, parse_program
from matcalc.numeric.data import random_point
from matcalc.numeric.differences import gradient_with_error
from matcalc.numeric.evaluate import bind_values, evaluate
from matcalc.printers.text import to_text
from matcalc.shapes.infer import infer

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples" / "backprop").glob("*.sh"))
IDS = [path.stem for path in EXAMPLES]
TOLERANCE = 1e-6


def read_example(path):
    """(argv after `matcalc`, {parameter: expected named answer})."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    comments = [line for line in lines if line.startswith("#")]
    commands = [line for line in lines if not line.startswith("#")]
    assert lines[: len(comments)] == comments, "comments come first"
    assert len(commands) == 1 and commands[0].startswith("matcalc derive "), "one `matcalc derive` line"
    expect = {}
    for comment in comments:
        found = re.match(r"# expect-(\w+):\s*(.*\S)", comment)
        if found:
            assert found[1] not in expect, f"two expect lines for {found[1]}"
            expect[found[1]] = found[2]
    argv = shlex.split(commands[0])[1:]
    assert "--check" in argv
    return argv, expect


def options(argv):
    named = dict(zip(argv[2::2], argv[3::2]))
    return argv[1], named["--wrt"], named.get("--where")


_DERIVED = {}


def derived(path):
    """The example through the API, derived once per test session."""
    if path not in _DERIVED:
        program, wrt, where = options(read_example(path)[0])
        _DERIVED[path] = matcalc.derive(program, wrt=wrt, where=where)
    return _DERIVED[path]


def asked(path):
    """The parameters the example asks for; `all` = every symbol not declared data."""
    program, wrt, where = options(read_example(path)[0])
    if wrt != "all":
        return [name.strip() for name in wrt.split(",")]
    data = {name for name, d in parse_declarations(where or "").items() if d.data}
    return [name for name in derived(path).problem.symbols if name not in data]


def loss_name(program):
    return program.split(";")[-1].split("=")[0].strip()


def shown(name):
    return to_text(A.Symbol(name))


def equations(g):
    """The backprop equations: the last paragraph of the whole pass."""
    return g.text().split("\n\n")[-1]


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_the_cli_prints_every_gradient_and_checks_it(path, capsys):
    argv, _ = read_example(path)
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 0, err
    assert re.search(r"check: max relative error \S+ .*\(ok\)", out), out[-300:]
    loss = loss_name(options(argv)[0])
    for name in asked(path):
        assert f"∂{loss}/∂{shown(name)} =" in out, name


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_every_gradient_agrees_with_finite_differences(path):
    g = derived(path)
    assert list(g) == asked(path)
    problem = g.problem
    point0 = random_point(problem.expr, problem.env, seed=11)
    assert len(set(point0.sizes.values())) == len(point0.sizes), "distinct dimension sizes"
    values = point0.values
    point, _ = bind_values(values, problem.symbols, problem.env)
    as_given = {name: value[0, 0] if value.shape == (1, 1) else value.ravel() if value.shape[1] == 1
                else value for name, value in values.items()}       # numbers, 1-D vectors, matrices
    together = g.evaluate(as_given)
    assert set(together) == set(g)
    for name, derivation in g.items():
        numeric = gradient_with_error(problem.expr, name, point, problem.env)[0]
        answer = np.asarray(derivation.evaluate(values), dtype=float).reshape(numeric.shape)
        scale = max(1.0, float(np.max(np.abs(numeric))))
        assert np.max(np.abs(answer - numeric)) <= TOLERANCE * scale, name
        if values[name].shape[1] == 1 and values[name].shape[0] > 1:
            assert np.ndim(together[name]) == 1, name          # a vector given 1-D comes back 1-D
        assert np.allclose(np.asarray(together[name], dtype=float).reshape(numeric.shape), answer,
                           rtol=1e-10, atol=1e-12 * scale), name
        assert derivation.check() < TOLERANCE, name
    assert g.check() < TOLERANCE


@pytest.mark.parametrize("path", [p for p in EXAMPLES if read_example(p)[1]],
                         ids=[p.stem for p in EXAMPLES if read_example(p)[1]])
def test_the_named_answers_are_the_textbook_ones(path):
    g = derived(path)
    expect = read_example(path)[1]
    assert set(expect) <= set(g)
    printed = {name: to_text(g[name].named_result) for name in expect}
    assert printed == expect


FUNCTION_WORDS = {"T", "tr", "sum", "mean", "log", "exp", "tanh", "σ", "sigma", "softmax",
                  "logsoftmax", "sqrt", "relu", "step", "diag", "vec", "det", "logdet", "abs"}


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_the_equations_use_the_programs_names(path):
    """No h4 or a5 the user did not write: every name of the equations is the
    user's (or δ of one), a dimension, a function, or one matcalc lists on its
    `names` line for a value the user did not name."""
    g = derived(path)
    problem = g.problem
    text = g.text()
    users = {shown(name) for name in problem.symbols} | {shown(name) for name, _ in problem.statements}
    names_line = next((line for line in text.splitlines() if line.startswith("names ")), "")
    invented = set(re.findall(r"(\S+) = ", names_line[len("names"):]))
    stems = {re.sub(r"\d+$", "", name) for name in users}
    for name in invented:                 # an invented name is no renumbered name of the user's
        assert not (re.search(r"\d$", name) and re.sub(r"\d+$", "", name) in stems), name
    dims = set(problem.env.dim_names())
    known = users | invented | dims | FUNCTION_WORDS
    for word in re.findall(r"[^\W\d]\w*", equations(g)):
        bare = word[1:] if word[0] in "δΔε" and word[1:] in known else word
        assert bare in known, f"{word!r} in the equations of {path.stem}"
    for word in re.findall(r"[^\W\d]\w*\d\b", text):      # anywhere in the pass
        bare = word.lstrip("δΔ")
        assert bare in users or bare in invented or (bare[:1] == "d" and bare[1:] in users | invented), word


RNNS = [path for path in EXAMPLES if "rnn" in path.stem]


@pytest.mark.parametrize("path", RNNS, ids=[path.stem for path in RNNS])
@pytest.mark.parametrize("name", ["W", "U", "b"])
def test_bptt_gives_one_term_per_time_step(name, path):
    g = derived(path)
    result = g[name].named_result
    assert isinstance(result, A.Add) and len(result.args) == 3, to_text(result)
    # (pre-activations: h1 = tanh(W h0 + ...) is derived as a1 = W h0 + ...; h1 = tanh(a1))
    uses = [defined for defined, definition in g.sweep.statements if name in A.symbol_names(definition)]
    assert len(uses) == 3 and f"{name} is used by {', '.join(uses)}" in g[name].text()
    assert not isinstance(g["h0"].named_result, A.Add)         # h0 is used once


def typed(source, where):
    """A closed form written as a matcalc program, typed on its own."""
    declarations = parse_declarations(where)
    program = parse_program(source, declarations)
    expr = program.result
    for name, definition in reversed(program.bindings):
        expr = A.substitute(expr, {A.Symbol(name): definition})
    (expr,), _, env = infer([expr], source, declarations)
    return expr, env


# Seed 002's batch-norm gradient (x_1..x_m scalars, ∂l/∂y_i = w_i), its first sum a typo:
#   ∂l/∂x_i = ∂l/∂x̂_i / √(σ² + ε) + ∂l/∂σ² · 2/m (x_i - μ) + ∂l/∂μ · 1/m,
#   ∂l/∂x̂_i = γ w_i, ∂l/∂σ² = Σ_i ∂l/∂x̂_i · -1/2 (x_i - μ)(σ² + ε)^{-3/2}, ∂l/∂μ = -Σ_i ∂l/∂x̂_i / √(σ² + ε);
# and the same in one line: γ / √(σ² + ε) (w - mean(w) 1 - mean(w ⊙ x̂) x̂).
BATCH_NORM_SEED = ("mu = mean(x); c = x - mu 1; s2 = mean(c ⊙ c); gxh = gamma w; "
                   "gs2 = -1/2 (gxh^T c) (s2 + eps)^{-3/2}; gmu = -(1^T gxh) / sqrt(s2 + eps); "
                   "gx = gxh / sqrt(s2 + eps) + 2 gs2 c / m + gmu 1 / m")
BATCH_NORM_COMPACT = ("mu = mean(x); c = x - mu 1; s2 = mean(c ⊙ c); xh = c / sqrt(s2 + eps); "
                      "gx = gamma (w - mean(w) 1 - mean(w ⊙ xh) xh) / sqrt(s2 + eps)")


@pytest.mark.parametrize("closed_form", [BATCH_NORM_SEED, BATCH_NORM_COMPACT], ids=["seed", "compact"])
def test_batch_norm_agrees_with_the_closed_form_of_seed_002(closed_form):
    g = derived(EXAMPLES[IDS.index("05_batch_norm")])
    problem = g.problem
    expr, env = typed(closed_form, "m: scalar; eps: scalar")
    for seed in (1, 2):
        values = random_point(problem.expr, problem.env, seed=seed).values
        batch = values["x"].shape[0]
        given = dict(values, m=float(batch))
        point, _ = bind_values(given, sorted(A.symbol_names(expr)), env)
        expected = evaluate(expr, point).reshape(-1)
        answer = np.asarray(g["x"].evaluate(values), dtype=float).reshape(-1)
        assert answer.shape == (batch,)
        assert np.max(np.abs(answer - expected)) <= TOLERANCE * max(1.0, np.max(np.abs(expected)))
        assert np.max(np.abs(answer)) > 1e-3          # not a vanishing test
    np.testing.assert_allclose(float(np.asarray(g["beta"].evaluate(values)).reshape(-1)[0]),
                               values["w"].sum())
