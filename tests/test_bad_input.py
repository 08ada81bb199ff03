"""Bad input (SPEC §6): one clear message, exit status 2, never a traceback.

Every case below is run through the CLI in-process (the ``run_cli`` fixture)
and must

* exit with status 2,
* print nothing on stdout,
* print exactly one ``matcalc: error:`` message on stderr that contains the
  substrings listed for the case (the thing that is wrong, named),
* for syntax errors, draw a caret line under the offending column,
* never let an exception escape or print a ``Traceback``.

A few Python-API checks at the end make sure the same problems surface as
``matcalc.MatcalcError`` subclasses, and a couple of subprocess runs make sure
that no traceback reaches a real terminal either.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import traceback

import pytest

import matcalc

# Generous: a resource-limit input must be refused (or answered) promptly,
# not after minutes of work.
TIME_LIMIT_SECONDS = 60


# --------------------------------------------------------------------- helpers
def _run(run_cli, argv):
    """Run the CLI; an exception escaping main() is a test failure, not an error."""
    started = time.process_time()         # this process's CPU time: other processes' load does not count
    try:
        status, out, err = run_cli(*argv)
    except BaseException as exc:  # noqa: BLE001 - anything escaping is a bug
        pytest.fail(f"matcalc {' '.join(map(_short, argv))} raised instead of exiting 2:\n"
                    + "".join(traceback.format_exception(exc))[-3000:])
    return status, out, err, time.process_time() - started


def _short(arg: str) -> str:
    return arg if len(arg) <= 60 else f"{arg[:30]}…({len(arg)} chars)"


def _assert_no_traceback(out: str, err: str):
    assert "Traceback" not in out, out[-2000:]
    assert "Traceback" not in err, err[-2000:]
    for name in ("RecursionError", "AssertionError", "KeyError", "AttributeError",
                 "TypeError", "IndexError", "NotImplementedError"):
        assert name not in err, f"internal exception {name} leaked into the message:\n{err[-2000:]}"


def _caret(err: str):
    """The (source line, caret column) pair of a rendered error, or None."""
    lines = err.rstrip("\n").split("\n")
    for i in range(len(lines) - 1, 0, -1):
        if re.fullmatch(r" *\^+", lines[i]):
            return lines[i - 1], lines[i].index("^")
    return None


def _assert_caret(err: str, source_line: str, column: int):
    """The caret sits under ``source_line[column]`` (``column == len`` = end of input)."""
    found = _caret(err)
    assert found is not None, f"no caret line in:\n{err}"
    shown, caret_column = found
    # render() indents the source line and the caret line alike.
    indent = len(shown) - len(shown.lstrip(" "))
    assert shown[indent:] == source_line, f"caret drawn under the wrong line:\n{err}"
    assert caret_column - indent == column, (
        f"caret at column {caret_column - indent}, expected {column}:\n{err}")


def _assert_clean_error(status, out, err, needles):
    _assert_no_traceback(out, err)
    assert status == 2, f"exit status {status!r}, expected 2\nstdout:\n{out[:2000]}\nstderr:\n{err[:2000]}"
    assert out == "", f"nothing should be printed on stdout for bad input, got:\n{out[:2000]}"
    assert err.count("matcalc: error:") == 1, f"expected exactly one error message:\n{err[:2000]}"
    for needle in needles:
        assert needle in err, f"{needle!r} not in the message:\n{err[:2000]}"


def derive(expr, wrt="x", *extra):
    return ("derive", expr, "--wrt", wrt, *extra)


# ---------------------------------------------------------------- syntax errors
# (id, argv, substrings the message must contain, (caret line, caret column) or None)
SYNTAX = [
    ("trailing-plus", derive("W1 x +"), ["expected"], ("W1 x +", 6)),
    ("unclosed-paren", derive("(a^T x"), ["expected ')'"], ("(a^T x", 6)),
    ("extra-close-paren", derive("a^T x)"), ["unexpected ')'"], ("a^T x)", 5)),
    ("empty-input", derive(""), ["empty"], None),
    ("whitespace-only", derive("   \t "), ["empty"], None),
    ("lone-plus", derive("+"), ["unexpected '+'"], ("+", 0)),
    ("lone-star", derive("*"), ["unexpected '*'"], ("*", 0)),
    ("lone-minus", derive("-"), ["expected"], ("-", 1)),
    ("lone-caret", derive("^"), ["unexpected '^'"], ("^", 0)),
    ("caret-without-exponent", derive("A ^", "A"), ["expected"], ("A ^", 3)),
    ("name-as-exponent", derive("x^T A^x x"), ["unexpected 'x'"], ("x^T A^x x", 6)),
    ("unclosed-norm", derive("||x"), ["expected '||'"], ("||x", 3)),
    ("bad-norm-subscript", derive("||x||_3"), ["unexpected"], ("||x||_3", 5)),
    ("dollar-character", derive("x^T x $"), ["unexpected character '$'"], ("x^T x $", 6)),
    ("at-character", derive("x^T @ x"), ["unexpected character '@'"], ("x^T @ x", 4)),
    ("euro-character", derive("x^T x €"), ["unexpected character '€'"], ("x^T x €", 6)),
    ("python-power-operator", derive("A ** B", "A"), ["unexpected '*'"], ("A ** B", 3)),
    ("double-equals", derive("x =="), ["unexpected '='"], ("x ==", 3)),
    ("assignment-of-nothing", derive("a = ; a^T a"), ["unexpected ';'"], ("a = ; a^T a", 4)),
    ("empty-call", derive("tr()", "A"), ["unexpected ')'"], ("tr()", 3)),
    ("trailing-comma-in-call", derive("sum(x,)"), ["unexpected ')'"], ("sum(x,)", 6)),
    ("python-dunder-import", derive("__import__('os')"), ["unexpected"], ("__import__('os')", 0)),
    ("error-on-second-line", derive("tr(A)\n+ (", "A"), ["line 2", "unexpected '+'"], ("+ (", 0)),
    ("unknown-function-eval", derive("eval(1)"), ["unknown function 'eval'"], ("eval(1)", 0)),
    ("unknown-function-foo", derive("foo(x)"), ["unknown function 'foo'"], ("foo(x)", 0)),
    ("unknown-function-nested", derive("x^T x + sum(bar(x))"), ["unknown function 'bar'"],
     ("x^T x + sum(bar(x))", 12)),
    ("kron-one-argument", derive("tr(kron(A))", "A"), ["kron", "argument"], ("tr(kron(A))", 3)),
    ("softmax-two-arguments", derive("sum(softmax(x, y))"), ["softmax", "argument"],
     ("sum(softmax(x, y))", 4)),
    ("norm-two-arguments", derive("norm(x, 3)"), ["norm", "argument"], ("norm(x, 3)", 0)),
    # Parsing comes before anything else: a syntax error is reported as one
    # whichever command is asked for.
    ("jacobian-syntax-error", ("jacobian", "x^T (", "--wrt", "x"), ["expected"], ("x^T (", 5)),
]


@pytest.mark.parametrize("argv, needles, caret",
                         [pytest.param(a, n, c, id=i) for i, a, n, c in SYNTAX])
def test_syntax_error(run_cli, argv, needles, caret):
    status, out, err, _ = _run(run_cli, argv)
    _assert_clean_error(status, out, err, needles)
    if caret is not None:
        _assert_caret(err, *caret)


# ----------------------------------------------------------------- shape errors
# Each expression is otherwise a scalar function, so the shapes are the only fault.
SHAPES = [
    ("matvec-declared-sizes", derive("W1 x", "x", "--where", "W1: 3 x 4; x: 5"),
     ["W1 x", "3×4", "length 5"]),
    # y^T W1 is a row vector of length 4 (y gets length 3), so that is what meets x.
    ("matvec-declared-sizes-in-scalar", derive("y^T W1 x", "x", "--where", "W1: 3 x 4; x: 5"),
     ["y^T W1 x", "length 4", "length 5"]),
    ("vector-times-vector", derive("x x"), ["x x", "two column vectors", "x^T x", "x x^T"]),
    ("product-of-two-3x4", derive("tr(A B)", "A", "--where", "A: 3 x 4; B: 3 x 4"),
     ["A B", "3×4"]),
    ("trace-of-vector", derive("tr(x)"), ["tr(x)", "square", "x has length"]),
    ("vector-plus-matrix-in-sum", derive("sum(A x + B)"), ["A x + B", "has length", "B is"]),
    ("vector-plus-matrix", derive("sum(x + A)"), ["x + A", "x has length", "A is"]),
    ("det-of-non-square", derive("det(A)", "A", "--where", "A: 3 x 4"), ["det(A)", "square", "3×4"]),
    ("logdet-of-vector", derive("logdet(x)"), ["square", "x has length"]),
    ("inverse-of-vector", derive("sum(inv(x))"), ["inv(x)", "x has length"]),
    ("hadamard-matrix-vector", derive("sum(A ⊙ x)"), ["A ⊙ x", "A is", "x has length"]),
    ("elementwise-divide-vector-matrix", derive("sum(x ./ A)"), ["x ./ A", "x has length", "A is"]),
    ("divide-by-matrix", derive("sum(E / A)", "E"), ["'/'", "scalar", "A is"]),
    ("divide-by-vector", derive("sum(1 / x)"), ["'/'", "scalar", "x has length"]),
    ("matrix-square-root", derive("tr(A^{1/2})", "A"), ["A^{1/2}", "exponent", "A is"]),
    ("matrix-fractional-power", derive("x^T A^{0.5} x"), ["A^{0.5}", "exponent", "A is"]),
]


@pytest.mark.parametrize("argv, needles", [pytest.param(a, n, id=i) for i, a, n in SHAPES])
def test_shape_error(run_cli, argv, needles):
    status, out, err, _ = _run(run_cli, argv)
    _assert_clean_error(status, out, err, needles)
    assert _caret(err) is not None, f"a shape error should point at the subexpression:\n{err}"


# ------------------------------------------------------------ bad --where clauses
WHERE = [
    ("unknown-kind", derive("y^T x", "x", "--where", "y: banana"), ["banana"], ("y: banana", 3)),
    ("incomplete-size", derive("tr(A)", "A", "--where", "A: 3 x"), ["size"], None),
    ("missing-colon", derive("y^T x", "x", "--where", "y vector"), ["expected", "':'"],
     ("y vector", 2)),
    ("missing-name", derive("x^T x", "x", "--where", ": scalar"), ["unexpected ':'"],
     (": scalar", 0)),
    ("zero-size", derive("x^T x", "x", "--where", "A: 0 x 4"), ["size", "'0'"], ("A: 0 x 4", 3)),
    ("negative-size", derive("x^T x", "x", "--where", "A: -3 x 4"), ["unexpected '-'"],
     ("A: -3 x 4", 3)),
    ("fractional-size", derive("x^T x", "x", "--where", "A: 1.5 x 2"), ["size", "'1.5'"],
     ("A: 1.5 x 2", 3)),
    ("three-dimensions", derive("x^T x", "x", "--where", "A: 2 x 3 x 4"), ["two dimensions"], None),
    ("vector-with-matrix-size", derive("x^T x", "x", "--where", "x: 3 x 4 vector"),
     ["vector", "length"], None),
    ("conflicting-kinds", derive("x^T x", "x", "--where", "x: scalar vector"),
     ["scalar", "vector"], None),
]


@pytest.mark.parametrize("argv, needles, caret",
                         [pytest.param(a, n, c, id=i) for i, a, n, c in WHERE])
def test_bad_where_clause(run_cli, argv, needles, caret):
    status, out, err, _ = _run(run_cli, argv)
    _assert_clean_error(status, out, err, needles)
    if caret is not None:
        _assert_caret(err, *caret)


# ------------------------------------------------------------- --wrt problems
WRT = [
    ("wrt-not-in-expression", derive("x^T x", "Z"), ["'Z'", "does not appear"]),
    ("wrt-empty", derive("x^T x", ""), ["differentiate with respect to", "wrt is empty"]),
    ("wrt-blank", derive("x^T x", "   "), ["differentiate with respect to", "wrt is empty"]),
    ("wrt-is-an-expression", derive("x^T x", "x^T"), ["x^T"]),
    ("wrt-missing", ("derive", "x^T x"), ["--wrt"]),
]


@pytest.mark.parametrize("argv, needles", [pytest.param(a, n, id=i) for i, a, n in WRT])
def test_bad_wrt(run_cli, argv, needles):
    status, out, err, _ = _run(run_cli, argv)
    _assert_clean_error(status, out, err, needles)


# ---------------------------------------- derive of a non-scalar function
NON_SCALAR = [
    ("matrix-times-vector", derive("W x"), ["scalar", "W x"]),
    ("bare-matrix", derive("A", "A"), ["scalar", "A is"]),
    ("outer-product", derive("x y^T"), ["scalar", "x y^T"]),
    ("program-ending-in-vector", derive("a = W x; h = sigma(a)"), ["scalar"]),
]


@pytest.mark.parametrize("argv, needles", [pytest.param(a, n, id=i) for i, a, n in NON_SCALAR])
def test_derive_needs_scalar(run_cli, argv, needles):
    status, out, err, _ = _run(run_cli, argv)
    _assert_clean_error(status, out, err, needles)


# ------------------------------------------ bad options (argparse, exit 2)
OPTIONS = [
    ("format-pdf", derive("x^T x", "x", "--format", "pdf"), ["--format", "'pdf'"]),
    ("format-missing-value", derive("x^T x", "x", "--format"), ["--format"]),
    ("layout-denominator", derive("x^T x", "x", "--layout", "denominator"),
     ["--layout", "'denominator'"]),
    ("unknown-option", derive("x^T x", "x", "--frobnicate"), ["--frobnicate"]),
    ("unknown-command", ("frobnicate", "x^T x", "--wrt", "x"), ["'frobnicate'"]),
]


@pytest.mark.parametrize("argv, needles", [pytest.param(a, n, id=i) for i, a, n in OPTIONS])
def test_bad_option(run_cli, argv, needles):
    status, out, err, _ = _run(run_cli, argv)
    _assert_clean_error(status, out, err, needles)


# An expression may start with a minus; argparse used to read "-tr(A)" as the
# unknown option -t and report a missing expression.
@pytest.mark.parametrize("argv, answer", [
    pytest.param(("derive", "-tr(A)", "--wrt", "A", "--no-steps"), "-I", id="before-options"),
    pytest.param(("derive", "--wrt", "A", "-tr(A)", "--no-steps"), "-I", id="after-an-option"),
    pytest.param(("derive", "-alpha", "--wrt", "alpha", "--no-steps"), "-1", id="bare-name"),
])
def test_expression_starting_with_a_minus_is_not_an_option(run_cli, argv, answer):
    status, out, err, _ = _run(run_cli, argv)
    assert status == 0 and err == "", err
    assert out.rstrip().endswith(f"= {answer}"), out


def test_a_negative_wrt_is_still_an_option_value(run_cli):
    status, out, err, _ = _run(run_cli, derive("x^T x", "-x"))
    _assert_clean_error(status, out, err, ["--wrt"])


# --------------------------------------------------------------- resource limits
def _nested_parens(depth):
    return "(" * depth + "x^T x" + ")" * depth


def _nested_exp(depth):
    return "sum(" + "exp(" * depth + "x" + ")" * depth + ")"


def _too_long():
    text = "x^T x" + " + x^T x" * 12_499
    text += " " * (100_001 - len(text))
    assert len(text) == 100_001
    return text


def test_input_over_the_length_limit(run_cli):
    status, out, err, elapsed = _run(run_cli, derive(_too_long()))
    _assert_clean_error(status, out, err, ["limit"])
    assert "100,000" in err or "100000" in err, err[:2000]
    assert elapsed < TIME_LIMIT_SECONDS


# Inputs that may be answered or refused, but cleanly and promptly.
ANSWER_OR_REFUSE = [
    ("5000-nested-parentheses", derive(_nested_parens(5_000))),
    ("1000-nested-exp", derive(_nested_exp(1_000))),
    ("5000-unary-minus", derive("-" * 5_000 + "x^T x")),
    ("3000-transposes", derive("x" + "^T" * 3_000 + " x")),
    ("3000-term-hadamard-chain", derive("sum(" + "x ⊙ " * 3_000 + "x)")),
    ("12000-term-sum", derive("x^T x" + " + x^T x" * 12_000)),
    ("abs-of-scalar", derive("abs(x^T x)")),
    ("relu-of-scalar", derive("relu(x^T x)")),
]


@pytest.mark.parametrize("argv", [pytest.param(a, id=i) for i, a in ANSWER_OR_REFUSE])
def test_deep_or_huge_input_does_not_crash(run_cli, argv):
    status, out, err, elapsed = _run(run_cli, argv)
    _assert_no_traceback(out, err)
    assert status in (0, 2), f"exit status {status!r}\nstderr:\n{err[:2000]}"
    if status == 2:
        assert out == ""
        assert err.count("matcalc: error:") == 1, err[:2000]
    else:
        assert out.strip() and err == ""
    assert elapsed < TIME_LIMIT_SECONDS, f"took {elapsed:.0f}s"


# ------------------------------------------------- through a real interpreter
@pytest.mark.parametrize("expr", [
    pytest.param("W1 x +", id="syntax-error"),
    pytest.param("sum(x + A)", id="shape-error"),
    pytest.param(_nested_exp(1_000), id="1000-nested-exp"),
    pytest.param(_nested_parens(5_000), id="5000-nested-parentheses"),
])
def test_no_traceback_from_python_m(expr):
    done = subprocess.run([sys.executable, "-m", "matcalc", "derive", expr, "--wrt", "x"],
                          capture_output=True, text=True, timeout=TIME_LIMIT_SECONDS)
    _assert_no_traceback(done.stdout, done.stderr)
    assert done.returncode in (0, 2), done.stderr[-2000:]
    if expr in ("W1 x +", "sum(x + A)"):
        assert done.returncode == 2 and "matcalc: error:" in done.stderr


# ----------------------------------------------------------------- Python API
API = [
    ("trailing-plus", "W1 x +", "x", None, matcalc.ParseError, "expected"),
    ("unbalanced-paren", "(a^T x", "x", None, matcalc.ParseError, "expected ')'"),
    ("bad-character", "x^T @ x", "x", None, matcalc.ParseError, "'@'"),
    ("unknown-function", "foo(x)", "x", None, matcalc.ParseError, "foo"),
    ("empty", "", "x", None, matcalc.ParseError, "empty"),
    ("matvec-mismatch", "y^T W1 x", "x", "W1: 3 x 4; x: 5", matcalc.ShapeError, "length 5"),
    ("trace-of-vector", "tr(x)", "x", None, matcalc.ShapeError, "tr(x)"),
    ("det-non-square", "det(A)", "A", "A: 3 x 4", matcalc.ShapeError, "square"),
    ("non-scalar", "W x", "x", None, matcalc.DerivationError, "scalar"),
    ("bad-where", "y^T x", "x", "y: banana", matcalc.ParseError, "banana"),
    ("wrt-not-in-expression", "x^T x", "Z", None, matcalc.MatcalcError, "'Z'"),
    ("too-long", _too_long(), "x", None, matcalc.LimitError, "limit"),
]


@pytest.mark.parametrize("expr, wrt, where, kind, needle",
                         [pytest.param(*case[1:], id=case[0]) for case in API])
def test_api_raises_matcalc_error(expr, wrt, where, kind, needle):
    assert issubclass(kind, matcalc.MatcalcError)
    with pytest.raises(kind) as caught:
        matcalc.derive(expr, wrt=wrt, where=where)
    assert needle in str(caught.value)


@pytest.mark.parametrize("expr, column", [
    pytest.param("W1 x +", 6, id="trailing-plus"),
    pytest.param("a^T x)", 5, id="extra-close-paren"),
    pytest.param("x^T $ x", 4, id="dollar"),
])
def test_api_syntax_error_has_caret_line(expr, column):
    with pytest.raises(matcalc.ParseError) as caught:
        matcalc.derive(expr, wrt="x")
    _assert_caret(str(caught.value), expr, column)


def test_api_deep_nesting_raises_matcalc_error_not_recursion_error():
    try:
        matcalc.derive(_nested_exp(1_000), wrt="x")
    except matcalc.MatcalcError:
        pass
    except RecursionError as exc:  # pragma: no cover - the failure being guarded against
        pytest.fail(f"RecursionError escaped the API: {exc}")
