"""Resource limits (SPEC §6, README "Limits").

Huge, long or deeply nested input is either answered in bounded time or
refused with a ``LimitError`` (exit status 2 from the CLI) that says which
limit it hit; no ``RecursionError`` escapes, from the API or the CLI.

The parser is what guarantees this: every tree it hands on is at most
``MAX_DEPTH`` deep and ``MAX_NODES`` big (a program's statements together;
written out, a program is at most ``MAX_WRITTEN_OUT_DEPTH`` deep and of any
size, each named value shared wherever it is used), so the recursive passes
after it are safe.  A flat chain
(``a + b + ... + z``, ``a^T A1 ... A200 b``) is one n-ary node, not a
left-nested tree, so it is long but not deep.

The engine answers every accepted input here within ``DERIVE_SECONDS``: a
500-term sum, a product of 200 matrices, a 60-layer network.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import matcalc
from matcalc.language import ast as A
from matcalc.language.limits import MAX_DEPTH, MAX_INPUT_CHARS, MAX_NODES, MAX_WRITTEN_OUT_DEPTH
from matcalc.language.parser import (parse_declarations,
                           parse_program)

PARSE_SECONDS = 15       # CPU s to parse, or refuse, any input up to the length limit (the longest: 1.4 s)
DERIVE_SECONDS = 10      # derive an accepted input (2 slow CI cores)


from deadlines import TookTooLong, cpu_seconds, deadline  # noqa: E402  (tests/ is on sys.path)


def derive_within(seconds, expr, wrt, where=None):
    """``matcalc.derive`` under a deadline: the Derivation, or the MatcalcError."""
    with deadline(seconds):
        try:
            derivation = matcalc.derive(expr, wrt=wrt, where=where)
            derivation.text()
            return derivation
        except matcalc.MatcalcError as error:
            return error
        except RecursionError as error:  # pragma: no cover - the failure guarded against
            pytest.fail(f"RecursionError escaped the API: {error}")


def refused(seconds, expr, wrt="x", where=None) -> matcalc.LimitError:
    outcome = derive_within(seconds, expr, wrt, where)
    assert isinstance(outcome, matcalc.LimitError), f"expected a LimitError, got {outcome!r}"
    return outcome


# ------------------------------------------------------------------ inputs
def chain(term: str, operator: str, n: int) -> str:
    return f" {operator} ".join([term] * n)


def quadratic_sum(n: int) -> str:
    return " + ".join(f"x^T A{i} x" for i in range(1, n + 1))


def matrix_product(n: int) -> str:
    return "a^T " + " ".join(f"A{i}" for i in range(1, n + 1)) + " b"


def nested(opening: str, core: str, closing: str, depth: int) -> str:
    return opening * depth + core + closing * depth


def mlp_program(layers: int) -> str:
    statements = ["h0 = x"] + [f"h{i} = sigma(W{i} h{i - 1})" for i in range(1, layers + 1)]
    return "; ".join(statements) + f"; l = sum(h{layers})"


def padded(text: str, length: int) -> str:
    return text + " " * (length - len(text))


# ---------------------------------------------------------------- length
def test_input_at_the_length_limit_is_accepted():
    text = padded("x^T x", MAX_INPUT_CHARS)
    outcome = derive_within(PARSE_SECONDS, text, "x")
    assert isinstance(outcome, matcalc.Derivation), outcome


def test_input_over_the_length_limit_is_refused_at_once():
    started = cpu_seconds()
    error = refused(PARSE_SECONDS, padded("x^T x", MAX_INPUT_CHARS + 1))
    assert cpu_seconds() - started < 0.5                # (3 ms: the length is looked at first)
    assert "100,000" in error.message


def test_long_declarations_are_limited_too():
    where = "; ".join(f"a{i}: scalar" for i in range(20_000))
    refused(PARSE_SECONDS, "x^T x", where=where)


def test_sum_as_long_as_the_input_limit_is_refused_by_its_size():
    text = chain("a^T x", "+", 14_000)[:MAX_INPUT_CHARS]
    text = text[:text.rfind(" +")]
    error = refused(PARSE_SECONDS, text)
    assert f"{MAX_NODES:,} parts" in error.message


def _least_cpu_seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = cpu_seconds()
        try:
            parse_program(text)
        except matcalc.LimitError:
            pass
        best = min(best, cpu_seconds() - started)
    return best


@pytest.mark.parametrize("separator", [" ", " + ", " ⊙ "], ids=["juxtaposed", "sum", "hadamard"])
def test_parsing_a_chain_costs_in_proportion_to_its_length(separator):
    """A chain of n names costs O(n): a repetition's list is taken over, not
    copied at each factor (49,000 juxtaposed names took 8 s of CPU, n²).
    Measured as the ratio of the CPU times of 10,000 and 40,000 names, which
    neither the machine's speed nor its load sets: 3-4 when linear, over 20
    when quadratic."""
    parse_program("x")                                   # the grammar loaded first
    short, long = (_least_cpu_seconds(separator.join(["x"] * n)) for n in (10_000, 40_000))
    assert long / short < 8, f"{short:.2f} s for 10,000 names, {long:.2f} s for 40,000"


MEMORY_PROBE = """
import resource, sys
from matcalc.errors import LimitError
from matcalc.language.parser import parse_program
parse_program("x")                                  # grammar loaded before the baseline
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for text in sys.stdin.read().split("\\0"):
    try:
        parse_program(text)
    except LimitError:
        pass
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_parsing_the_longest_inputs_takes_bounded_memory():
    """The peak memory the parser adds for the worst inputs of the length
    limit (~50 MB measured): a refused 12,500-term sum, 49,000 juxtaposed
    names, a 900-term sum padded with spaces."""
    texts = [chain("a^T x", "+", 14_000)[:MAX_INPUT_CHARS - 10], " ".join(["x"] * 49_000),
             chain("x^T x", "+", 900) + padded("", MAX_INPUT_CHARS - 8_000)]
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE], input="\0".join(texts),
                          capture_output=True, text=True, timeout=600)   # (a hang guard: 2 s of CPU)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) < 200, f"{done.stdout.strip()} MB"


# --------------------------------------------------------------- nesting
DEEP = 10_000

TOO_DEEP = [
    ("calls", nested("sigma(", "x", ")", DEEP) + " ^T x"),
    ("sum-of-exp", "sum(" + nested("exp(", "x", ")", DEEP) + ")"),
    ("transposes", "x" + "^T" * DEEP + " x"),
    ("unary-minus", "-" * DEEP + "x^T x"),
    ("minus-parenthesised", nested("-(", "x^T x", ")", DEEP)),
    ("norms", nested("||", "x", "||", DEEP)),
    ("inverses", "tr(" + nested("inv(", "A", ")", DEEP) + ")"),
    # Deep but under MAX_NODES, so that depth is the limit they hit.
    ("nested-sums", nested("(", "x^T x", " + x^T x)", 800)),
    ("nested-products", "tr(" + nested("(A ", "A", ")", 2_000) + ")"),
    ("elementwise-powers", "sum(x" + " .^ 2" * DEEP + ")"),
]


@pytest.mark.parametrize("expr", [pytest.param(e, id=i) for i, e in TOO_DEEP])
def test_deep_nesting_is_refused_with_a_limit_error(expr):
    error = refused(PARSE_SECONDS, expr, wrt="A" if "A" in expr else "x")
    assert f"{MAX_DEPTH} levels deep" in error.message
    assert error.span is not None and "^" in str(error).splitlines()[-1]


def test_parentheses_alone_do_not_count_as_nesting():
    outcome = derive_within(PARSE_SECONDS, nested("(", "x^T x", ")", DEEP), "x")
    assert isinstance(outcome, matcalc.Derivation), outcome


@pytest.mark.parametrize("expr, wrt", [
    pytest.param("-" * (MAX_DEPTH - 3) + "x^T x", "x", id="unary-minus"),
    pytest.param("x" + "^T" * (MAX_DEPTH - 3) + " x", "x", id="transposes"),
    pytest.param("tr(" + nested("inv(", "A", ")", MAX_DEPTH - 2) + ")", "A", id="inverses"),
    pytest.param("sum(" + nested("exp(", "x", ")", 100) + ")", "x", id="100-exp"),
])
def test_nesting_up_to_the_limit_is_answered(expr, wrt):
    """The depth limit is low enough for every later pass (no RecursionError)."""
    outcome = derive_within(DERIVE_SECONDS, expr, wrt)
    assert isinstance(outcome, matcalc.Derivation), outcome


def test_elementwise_functions_nested_to_the_limit_are_answered_promptly():
    # Once ~40 s (names written out one at a time); now well under a second.
    expr = "sum(" + nested("sigma(", "x", ")", MAX_DEPTH - 2) + ")"
    outcome = derive_within(DERIVE_SECONDS, expr, "x")
    assert isinstance(outcome, matcalc.Derivation), outcome


# ---------------------------------------------------------- flat chains
def test_a_long_sum_is_one_flat_node():
    expr = parse_program(quadratic_sum(500)).result
    assert isinstance(expr, A.Add) and len(expr.args) == 500
    assert A.depth(expr) < 10


def test_a_long_product_is_one_flat_node():
    expr = parse_program(matrix_product(200)).result
    assert isinstance(expr, A.Product) and len(expr.args) == 202


def test_a_long_difference_is_one_flat_node():
    expr = parse_program(chain("a^T x", "-", 800)).result
    assert isinstance(expr, A.Add) and len(expr.args) == 800


def test_a_long_hadamard_chain_is_one_flat_node():
    expr = parse_program(chain("x", "⊙", 3_000)).result
    assert isinstance(expr, A.Hadamard) and len(expr.args) == 3_000


def test_mixed_operators_still_group_left_to_right():
    """Flattening keeps the precedence: a change of operator closes the run."""
    expr = parse_program("A B ⊙ C D ⊗ E F").result
    B = A.Symbol
    hadamard = A.Hadamard((A.Product((B("A"), B("B"))), B("C")))
    assert expr == A.Product((A.Kron((A.Product((hadamard, B("D"))), B("E"))), B("F")))


def test_parentheses_keep_their_own_node():
    expr = parse_program("(a + b) + c").result
    assert expr == A.Add((A.Add((A.Symbol("a"), A.Symbol("b"))), A.Symbol("c")))


SEAM = ("shapes.TypeEnv._shape_of gives a flat Product the rows of its first and the cols of "
        "its last non-scalar factor; after a 1×1 partial product (y^T a in y^T a z) the chain "
        "restarts, so y^T a z is a vector.  Flat products from the parser expose it")


def test_a_vector_after_a_scalar_seam_is_not_a_scalar():
    with pytest.raises(matcalc.DerivationError, match="scalar"):
        matcalc.derive("y^T a z", wrt="z")


@pytest.mark.parametrize("expr", ["1^T (y^T a z)", "c^T (y^T a z)"])
def test_a_scalar_seam_inside_a_flat_product_keeps_the_shape(expr):
    assert matcalc.derive(expr, wrt="z").check() < 1e-6


def test_division_chains_keep_their_meaning():
    expr = parse_program("1/2/4 a / b ./ c").result
    half_of_half = A.Number(A.number(1).value / 8)
    product = A.Product((half_of_half, A.Symbol("a"), A.Power(A.Symbol("b"), A.MINUS_ONE)))
    assert expr == A.Hadamard((product, A.ElemPow(A.Symbol("c"), A.MINUS_ONE)))


def test_a_500_term_linear_sum_is_derived_in_bounded_time():
    outcome = derive_within(DERIVE_SECONDS, chain("a^T x", "+", 500), "x")
    assert isinstance(outcome, matcalc.Derivation), outcome


def test_a_sum_near_the_size_limit_is_derived():
    # 1,200 terms of 4 nodes each (x^T x is Product(Transpose(x), x)): under MAX_NODES.
    outcome = derive_within(DERIVE_SECONDS, chain("x^T x", "+", 1_200), "x")
    assert isinstance(outcome, matcalc.Derivation), outcome


def test_a_300_term_quadratic_sum_is_derived():
    """d-sum takes every term in one sweep (it once peeled one term per sweep).
    (500 distinct quadratic forms meet the work limit: tests/test_work_limit.py.)"""
    outcome = derive_within(DERIVE_SECONDS, quadratic_sum(300), "x")
    assert isinstance(outcome, matcalc.Derivation), outcome


def test_a_200_matrix_product_is_derived():
    """Windows of a long product are tried only where a pattern's fixed operands
    can match (it once took ~31 s trying every window)."""
    outcome = derive_within(DERIVE_SECONDS, matrix_product(200), "A7")
    assert isinstance(outcome, matcalc.Derivation), outcome


def test_a_3000_factor_hadamard_chain_is_derived():
    outcome = derive_within(DERIVE_SECONDS, "sum(" + chain("x", "⊙", 3_000) + ")", "x")
    assert isinstance(outcome, matcalc.Derivation), outcome


def test_a_1000_factor_hadamard_chain_of_distinct_vectors_is_derived():
    factors = " ⊙ ".join(f"x{i}" for i in range(1_000))
    outcome = derive_within(DERIVE_SECONDS, f"sum({factors})", "x1")
    assert isinstance(outcome, matcalc.Derivation), outcome


# -------------------------------------------------------------- programs
def test_a_program_that_doubles_at_every_line_is_derived_in_its_names():
    """2^39 parts written out (issue 24: a program costs its statements): the
    sweep, the check and evaluate work on the statements; written out, the
    answer is read on the shared tree and its powers collect:
    ∂/∂x (x^T x)^(2^38) = 2^39 (x^T x)^(2^38 - 1) x."""
    lines = ["a1 = x^T x"] + [f"a{i} = a{i - 1} a{i - 1}" for i in range(2, 40)]
    derivation = derive_within(PARSE_SECONDS, "; ".join(lines), "x")
    assert isinstance(derivation, matcalc.Derivation), derivation
    assert "δa1 = 2 δa2 a1" in derivation.text()
    assert str(derivation.result) == f"{2 ** 39} (x^T x)^{2 ** 38 - 1} x"


def test_a_program_that_nests_line_by_line_is_refused():
    lines = ["a0 = x"] + [f"a{i} = tanh(a{i - 1})" for i in range(1, MAX_WRITTEN_OUT_DEPTH + 1)]
    error = refused(PARSE_SECONDS, "; ".join(lines) + f"; l = a{MAX_WRITTEN_OUT_DEPTH}^T x")
    assert "written out" in error.message and "levels deep" in error.message


def test_a_deep_program_is_derived_in_its_names():
    """250 statements deep: the backward pass works in the program's names;
    the answer written out would be too big, and says so."""
    lines = ["a0 = x"] + [f"a{i} = tanh(a{i - 1})" for i in range(1, 250)]
    derivation = derive_within(PARSE_SECONDS * 4, "; ".join(lines) + "; l = a249^T a249", "x")
    assert isinstance(derivation, matcalc.Derivation), derivation
    assert "δa1" in derivation.text()
    with pytest.raises(matcalc.LimitError, match="written out"):
        derivation.result


def test_many_statements_are_answered_in_bounded_time():
    lines = [f"a{i} = x" for i in range(1_000)]
    with pytest.warns(matcalc.MatcalcWarning, match="is never used") as said:
        outcome = derive_within(PARSE_SECONDS, "; ".join(lines) + "; l = a999^T x", "x")
    assert isinstance(outcome, matcalc.Derivation), outcome
    assert len([w for w in said if "never used" in str(w.message)]) == 999


def test_the_size_limit_counts_every_statement():
    lines = [f"a{i} = x" for i in range(MAX_NODES + 1)]
    refused(PARSE_SECONDS, "; ".join(lines) + "; l = x^T x")


def test_a_20_layer_network_is_derived_in_bounded_time():
    outcome = derive_within(DERIVE_SECONDS, mlp_program(20), "W1")
    assert isinstance(outcome, matcalc.Derivation), outcome


def test_a_60_layer_network_is_derived():
    """Identification allows rounds in proportion to the depth of dl (it once
    stopped at 60 rounds, from 58 layers on)."""
    outcome = derive_within(DERIVE_SECONDS, mlp_program(60), "W1")
    assert isinstance(outcome, matcalc.Derivation), outcome


# --------------------------------------------------- numbers and sizes
@pytest.mark.parametrize("number", [
    pytest.param("1e999999999", id="huge-exponent"),
    pytest.param("1" * 5_000, id="5000-digits"),
    pytest.param("0." + "0" * 200 + "1", id="200-decimals"),
    pytest.param("1e-101", id="tiny"),
])
def test_absurd_numbers_are_refused_before_they_are_built(number):
    error = refused(PARSE_SECONDS, f"{number} x^T x")
    assert "too long or too large" in error.message and error.span[0] == 0


@pytest.mark.parametrize("expr", ["x^T x^{1e999999999}", "(x^T x)^{1/" + "9" * 5_000 + "}",
                                  "sum(x .^ -" + "9" * 5_000 + ")"])
def test_absurd_exponents_are_refused(expr):
    refused(PARSE_SECONDS, expr)


def test_numbers_within_the_limit_are_exact():
    outcome = derive_within(DERIVE_SECONDS, "1e100 x^T x", "x")
    assert isinstance(outcome, matcalc.Derivation), outcome
    assert "2" + "0" * 100 in str(outcome.result)


@pytest.mark.parametrize("where", ["A: 3 x " + "9" * 5_000, "A: 3x" + "9" * 5_000,
                                   "x: 10000000"])
def test_absurd_sizes_are_refused(where):
    with pytest.raises(matcalc.LimitError, match="size"):
        parse_declarations(where)


# -------------------------------------------------------------- the CLI
CLI_INPUTS = [
    ("too-long", padded("x^T x", MAX_INPUT_CHARS + 1)),
    ("10000-nested-calls", nested("sigma(", "x", ")", DEEP) + " ^T x"),
    ("10000-transposes", "x" + "^T" * DEEP + " x"),
    ("huge-number", "1e999999999 x^T x"),
]


@pytest.mark.parametrize("expr", [pytest.param(e, id=i) for i, e in CLI_INPUTS])
def test_cli_refuses_with_status_2_and_one_message(run_cli, expr):
    started = cpu_seconds()
    status, out, err = run_cli("derive", expr, "--wrt", "x")
    assert cpu_seconds() - started < PARSE_SECONDS     # (0.15 s of CPU at most)
    assert status == 2 and out == "" and "Traceback" not in err
    assert err.count("matcalc: error:") == 1, err[:2000]
    assert err.rstrip().splitlines()[-1].strip().startswith("^"), err[:2000]


def test_a_real_interpreter_neither_crashes_nor_hangs_on_deep_input():
    """Python's default recursion limit, not the test runner's."""
    expr = nested("exp(", "x", ")", DEEP)
    done = subprocess.run([sys.executable, "-m", "matcalc", "derive", f"sum({expr})", "--wrt", "x"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "levels deep" in done.stderr


# --------------------------------------------------- check() at declared sizes
@pytest.mark.parametrize("command, expr, wrt, where, named", [
    ("derive", "a^T X b", "X", "X: 100000 x 100000", "10,000,200,000 random numbers"),
    ("jacobian", "X b", "X", "X: 100 x 100", "10,000 entries of X"),
    ("hessian", "x^T A x", "x", "x: 200 x 1", "200 entries of x"),
])
def test_check_at_huge_declared_sizes_is_refused_before_allocating(run_cli, command, expr, wrt, where, named):
    """The answer is printed; --check says why it will not run (it once died
    with a MemoryError allocating 75 GB)."""
    status, out, err = run_cli(command, expr, "--wrt", wrt, "--where", where, "--check", "--no-steps")
    assert status == 2 and named in err and "declare smaller sizes" in err
    assert "=" in out and "Traceback" not in err


def test_check_at_moderate_declared_sizes_runs():
    assert matcalc.derive("a^T X b", wrt="X", where="X: 30 x 20").check() < 1e-9


def test_a_gradient_of_any_size_is_checked_along_directions():
    # a few directional differences, not one per entry: 10,000 entries are no limit
    assert matcalc.derive("a^T X b", wrt="X", where="X: 100 x 100").check() < 1e-9


def test_one_weight_in_99_nested_layers_is_derived_by_the_backward_sweep():
    """sum(tanh(W tanh(W ... x))): one differential of the whole expression
    grows with the square of the depth (25 s at 99 deep); the sweep is linear."""
    expression = "sum(" + "tanh(W " * 99 + "x" + ")" * 99 + ")"
    outcome = derive_within(DERIVE_SECONDS, expression, "W")
    assert isinstance(outcome, matcalc.Derivation), outcome
    assert outcome.check() < 1e-6
