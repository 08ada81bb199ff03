"""Parser fuzzing (SPEC §6): whatever the text, matcalc answers or says what
is wrong — a ``MatcalcError`` from the API, exit status 2 from the CLI —
and never crashes, leaks a traceback or hangs.

Inputs are random strings over the language's own characters and tokens
plus junk (Unicode, control characters, shell and Python syntax), and
mutations of valid expressions taken from ``examples/`` and the README
(tokens or characters deleted, inserted, swapped, duplicated), with random
``wrt`` and ``where`` strings.  Hypothesis runs derandomized, so CI sees the
same inputs every time; ``MATCALC_FUZZ=<examples>`` runs a longer, random
campaign locally.

Bugs found this way are fixed at their root and kept at the end of the file
as regression cases.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import matcalc
from matcalc.cli import main
from matcalc.language.parser import parse_declarations, parse_program

ROOT = Path(__file__).resolve().parent.parent
SECONDS_PER_INPUT = 10       # an accepted input is answered well within this

CAMPAIGN = int(os.environ.get("MATCALC_FUZZ", "0"))


def fuzz_settings(examples: int):
    """Derandomized and quick in CI; random and long under MATCALC_FUZZ."""
    return settings(max_examples=CAMPAIGN or examples, derandomize=not CAMPAIGN,
                    deadline=None, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


from deadlines import TookTooLong, deadline  # noqa: E402  (tests/ is on sys.path)


# ------------------------------------------------------------------ corpus
def example_commands() -> list[tuple[str, str, str, str]]:
    """(command, expression, wrt, where) of every examples/*.sh."""
    found = []
    for path in sorted((ROOT / "examples").glob("*.sh")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("matcalc "):
                argv = shlex.split(line)[1:]
                options = dict(zip(argv[2::2], argv[3::2]))
                found.append((argv[0], argv[1], options.get("--wrt", "x"), options.get("--where", "")))
    return found


EXAMPLES = example_commands()

# From the README's language table, and spellings the examples do not use.
README_EXPRESSIONS = [
    ("A B + W1 x", "W1"), ("A * B - -A", "A"), ("x^T A' x", "x"), ("a^T Aᵀ b", "A"),
    ("tr(A^{-1} B)", "A"), ("x^T A^-1 x", "A"), ("tr(inv(A) A^{-T})", "A"),
    ("x^T A^2 x", "A"), ("a^{1/2} + a^{-2}", "a"), ("sum(A ⊙ B .* C ./ D)", "A"),
    ("sum(x .^ 3)", "x"), ("tr(A ⊗ B)", "A"), ("tr(kron(A, B))", "A"), ("sum(E / s)", "s"),
    ("det(A) + logdet(A) + tr(A)", "A"), ("sum(exp(x) + log(x) + sin(x) + cos(x))", "x"),
    ("sum(tan(x) + tanh(x) + sqrt(x) + abs(x))", "x"), ("sum(sigma(x) + sigmoid(x))", "x"),
    ("sum(relu(x) + softplus(x))", "x"), ("y^T logsoftmax(z) + 1^T softmax(z)", "z"),
    ("sum(A) + mean(A)", "A"), ("1^T diag(A) + tr(diag(v))", "v"), ("1^T vec(A)", "A"),
    ("‖v‖ + ||v|| + ||v||_2 + norm(v)", "v"), ("||A||_F + ‖A‖_F + norm(A)", "A"),
    ("||A x - b||^2", "x"), ("||X A^T - B||_F^2", "X"), ("1^T (b 1^T) y", "b"),
    ("(x - mu 1)^T (x - mu 1)", "mu"), ("1^T y ones^T x", "x"), ("x^T I x", "x"),
    ("2 x^T x + 0.5 x^T x + 1/2 x^T x", "x"), ("-y^T log(s)", "s"),
    ("a1 = W1 x; h1 = sigma(a1); a2 = W2 h1; l = -y^T log(softmax(a2))", "W1"),
    ("α x^T x + λ ||x||^2", "x"), ("Φ^T Φ", "Φ"), ("tr(Σ^{-1} S)", "Σ"), ("x_t^T h_2", "x_t"),
]

SEEDS = [(expr, wrt, where) for _, expr, wrt, where in EXAMPLES] + \
        [(expr, wrt, "") for expr, wrt in README_EXPRESSIONS]

# ------------------------------------------------------------------ alphabets
NAMES = ["x", "y", "z", "a", "b", "v", "w", "h_2", "x_t", "A", "B", "C", "W", "W1", "W2", "X",
         "S", "P", "I", "ones", "alpha", "beta", "mu", "λ", "σ", "Φ", "T", "x1"]
FUNCTIONS = ["sigma(", "exp(", "log(", "tr(", "det(", "logdet(", "sum(", "mean(", "diag(",
             "vec(", "inv(", "norm(", "kron(", "softmax(", "logsoftmax(", "tanh(", "relu(",
             "sqrt(", "abs(", "softplus(", "foo(", "d("]
OPERATORS = ["+", "-", "−", "*", "·", "/", "^", "^T", "^{-1}", "^-1", "^{-T}", "^2", "^{1/2}",
             "'", "ᵀ", "⊤", "⁻¹", "²", "⊙", "∘", ".*", "./", ".^", "⊗", "(", ")", "{", "}",
             ",", ";", "=", ":", "||", "‖", "_F", "_2", "_fro", "\n", " ", "  ", "\\\n"]
NUMBERS = ["0", "1", "2", "0.5", ".5", "1/2", "3", "1e3", "2.5e-1", "10", "007"]
JUNK = ["@", "#", "$", "`", "\\", "[", "]", "?", "?A", "!", "%", "&", "~", '"', "|", "<", ">",
        "\t", "\r", "\x00", "\x1b[31m", "\x7f", "\u200b", "\u202e", "é", "中", "🙂", "\ud800",
        "\ufeff", "１", "٣", "ℵ", "𝑥", "ﬁ", "e\u0301", "$(touch pwned)", "`id`",
        "__import__('os')", "eval(", "lambda: 0", "[x for x in y]", "{}", "os.system",
        "x.__class__", "**", "//", "==", "!=", "->", "..."]
TOKENS = NAMES + FUNCTIONS + OPERATORS + NUMBERS + JUNK
CHARACTERS = sorted(set("".join(TOKENS)) | set("0123456789abcdefghijklmnopqrstuvwxyzAZ"))

WHERE_TOKENS = ["x", "y", "A", "S", "P", "mu", "alpha", ":", ",", ";", " ", "scalar", "vector",
                "matrix", "symmetric", "positive", "definite", "probability", "pd", "spd",
                "square", "column", "by", "×", "x", "3", "4", "0", "1.5", "-2", "3x4", "n", "p",
                "banana", "\n", "@", "中", "\x1b", "99999999999"]


def joined(tokens, max_size):
    return st.lists(st.sampled_from(tokens), max_size=max_size).map("".join)


random_text = st.one_of(joined(TOKENS, 24), st.text(alphabet=CHARACTERS, max_size=40),
                        st.text(max_size=20))
random_where = st.one_of(st.just(""), joined(WHERE_TOKENS, 12), st.text(max_size=12))


# ------------------------------------------------------------------ mutations
_TOKEN = re.compile(r"[A-Za-z\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff]*\(?|\d+(\.\d+)?|\.\*|\./|\.\^"
                    r"|\^\{[^}]*\}|\^-?T|\|\||_[F2]|\s+|.", re.S)


def tokens_of(text: str) -> list[str]:
    return [m.group(0) for m in _TOKEN.finditer(text)]


@st.composite
def mutated(draw, parts_of=tokens_of):
    """A valid input with a few random edits, on tokens or on characters."""
    expr, wrt, where = draw(st.sampled_from(SEEDS))
    parts = parts_of(expr) if draw(st.booleans()) else list(expr)
    for _ in range(draw(st.integers(1, 3))):
        edit = draw(st.sampled_from(["delete", "insert", "swap", "duplicate", "replace"]))
        i = draw(st.integers(0, max(len(parts) - 1, 0)))
        j = draw(st.integers(i, min(len(parts), i + 4)))
        if edit == "delete" and parts:
            del parts[i:j or i + 1]
        elif edit == "insert":
            parts.insert(i, draw(st.sampled_from(TOKENS)))
        elif edit == "swap" and len(parts) > 1:
            k = draw(st.integers(0, len(parts) - 1))
            parts[i], parts[k] = parts[k], parts[i]
        elif edit == "duplicate":
            parts[i:i] = parts[i:j]
        elif edit == "replace" and parts:
            parts[i] = draw(st.sampled_from(TOKENS))
    if draw(st.integers(0, 4)) == 0:
        wrt = draw(st.sampled_from(NAMES + ["", " ", "x^T", "W 1", "中", "\x00"]))
    if draw(st.integers(0, 4)) == 0:
        where = draw(random_where)
    return "".join(parts), wrt, where


# ------------------------------------------------------------------ oracles
def assert_rendered_well(error: matcalc.MatcalcError) -> None:
    """``str(error)`` works, prints nothing that moves a terminal's cursor,
    and draws a caret line under the span when there is one."""
    text = str(error)
    assert text.strip(), f"empty message from {error!r}"
    assert all(ch.isprintable() or ch == "\n" for ch in text), repr(text)
    if error.span is None or error.source is None:
        return
    start, end = error.span
    assert 0 <= start <= len(error.source) and start <= end, (error.span, len(error.source))
    *_, shown, carets = text.split("\n")
    assert shown.startswith("  ") and carets.startswith("  "), repr(text)
    assert set(carets.strip()) == {"^"}, repr(text)
    # The caret starts on the shown line, or just past its end (end of input).
    assert len(carets) - len(carets.lstrip()) <= _columns(shown) + 1, repr(text)


def _columns(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def assert_answered_or_refused(command, expr, wrt, where) -> None:
    with deadline(SECONDS_PER_INPUT):
        try:
            derivation = command(expr, wrt=wrt, where=where)
            derivation.text()
            outcome = "answered"
        except matcalc.MatcalcError as error:
            outcome = type(error).__name__
            assert_rendered_well(error)
    if currently_in_test_context():
        event(outcome)                   # see --hypothesis-show-statistics


COMMANDS = {"derive": matcalc.derive, "jacobian": matcalc.jacobian, "hessian": matcalc.hessian}


# ------------------------------------------------------------------ the parser
@fuzz_settings(1_500)
@given(random_text)
def test_the_parser_raises_only_matcalc_errors(text):
    try:
        parse_program(text)
    except matcalc.MatcalcError as error:
        assert_rendered_well(error)


@fuzz_settings(600)
@given(random_where)
def test_declarations_raise_only_matcalc_errors(where):
    try:
        parse_declarations(where)
    except matcalc.MatcalcError as error:
        assert_rendered_well(error)


@fuzz_settings(800)
@given(mutated())
def test_mutated_inputs_parse_or_raise_matcalc_errors(case):
    expr, _, where = case
    for parse, text in ((parse_program, expr), (parse_declarations, where)):
        try:
            parse(text)
        except matcalc.MatcalcError as error:
            assert_rendered_well(error)


# ------------------------------------------------------------------ the API
@fuzz_settings(300)
@given(random_text, st.one_of(st.sampled_from(NAMES), st.text(max_size=5)), random_where)
def test_derive_on_random_text_raises_only_matcalc_errors(expr, wrt, where):
    assert_answered_or_refused(matcalc.derive, expr, wrt, where)


@fuzz_settings(300)
@given(mutated(), st.sampled_from(sorted(COMMANDS)))
@pytest.mark.filterwarnings("ignore::matcalc.MatcalcWarning")   # a mutation may leave a statement or declaration unused
def test_mutated_inputs_are_answered_or_refused(case, command):
    expr, wrt, where = case
    assert_answered_or_refused(COMMANDS[command], expr, wrt, where)


# ------------------------------------------------------------------ the CLI
def run_in_process(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exit:
            status = exit.code
    return status, out.getvalue(), err.getvalue()


def assert_clean_exit(status, out, err, output_format="text") -> None:
    assert "Traceback" not in out + err, err[-2000:]
    assert status in (0, 2), f"exit status {status}\n{err[-2000:]}"
    if status == 2:
        assert err.count("matcalc: error:") == 1, err[-2000:]
        if output_format == "json":          # other programs read the error as JSON
            error = json.loads(out)["error"]
            assert error["message"] and error["kind"].endswith("Error"), out
        else:
            assert out == "", out[-2000:]


@fuzz_settings(150)
@given(st.one_of(mutated(), st.tuples(random_text, st.sampled_from(NAMES), random_where)),
       st.sampled_from(["text", "latex", "json", "markdown"]))
def test_the_cli_exits_0_or_2(case, output_format):
    expr, wrt, where = case
    argv = ["derive", expr, "--wrt", wrt, "--where", where, "--format", output_format]
    with deadline(SECONDS_PER_INPUT):
        assert_clean_exit(*run_in_process(argv), output_format)


# A real interpreter and terminal: few, they are slow (an interpreter each).
@fuzz_settings(6)
@given(st.one_of(mutated(), st.tuples(random_text, st.sampled_from(NAMES), random_where)))
def test_a_real_cli_process_never_prints_a_traceback_or_hangs(case):
    # argv cannot carry NUL bytes or lone surrogates.
    expr, wrt, where = (s.replace("\x00", "").encode("utf-8", "replace").decode() for s in case)
    done = subprocess.run([sys.executable, "-m", "matcalc", "derive", expr, "--wrt", wrt,
                           "--where", where], capture_output=True, text=True, timeout=300)
    assert_clean_exit(done.returncode, done.stdout, done.stderr)


# ------------------------------------------------------------------ regressions
REGRESSIONS = [
    # A literal with thousands of digits: int() refused it deep in the
    # transformer (ValueError), and 1e999999999 took minutes to build.
    ("1" * 5_000 + " x^T x", "x", ""),
    ("1e999999999 x^T x", "x", ""),
    ("x^T x", "x", "A: 3 x " + "9" * 5_000),
    # A literal zero divisor reached the engine (ValueError in scalars.py).
    ("sum(E /0 s)", "s", ""),
    ("sum(x ./ 0) + inv(0) + 0^{-T} + 0⁻¹ + sum(0 .^ -1 x)", "x", ""),
    # A non-string where= raised AttributeError.
    ("x^T x", "x", 5),
    # Escape sequences and carriage returns were echoed raw to the terminal.
    ("x^T x \x1b[2J", "x", ""),
    ("x^T x\r+ @", "x", ""),
    # The caret ran past a long line's window; wide characters shifted it.
    ("x^T x + " * 40 + "@" + " + x^T x" * 40, "x", ""),
    ("中文 + @", "x", ""),
]


@pytest.mark.parametrize("expr, wrt, where", REGRESSIONS)
def test_regression(expr, wrt, where):
    assert_answered_or_refused(matcalc.derive, expr, wrt, where)


@pytest.mark.parametrize("expr", ["x^T x / 0", "sum(E /0 s)", "sum(x ./ 0.0)", "inv(0) x^T x",
                                  "0^{-2} x^T x", "0^{-T} x^T x", "0⁻¹ x^T x", "sum(0 .^ -1 x)"])
def test_a_literal_zero_divisor_is_a_parse_error(expr):
    with pytest.raises(matcalc.ParseError, match="division by zero"):
        matcalc.derive(expr, wrt="x")


def test_norm_subscript_before_a_superscript_square():
    """'||A||_F²' did not parse: \\b saw '²' as a word character."""
    assert matcalc.derive("||A||_F²", wrt="A").result == matcalc.derive("||A||_F^2", wrt="A").result


def test_caret_stays_inside_a_long_lines_window():
    expr = "x^T x + " * 40 + "@" + " + x^T x" * 40
    with pytest.raises(matcalc.ParseError) as caught:
        matcalc.derive(expr, wrt="x")
    *_, shown, carets = str(caught.value).split("\n")
    column = len(carets) - len(carets.lstrip())
    assert shown[column] == "@" and shown.endswith("…") and shown[2] == "…"


def test_control_characters_are_shown_not_sent_to_the_terminal():
    with pytest.raises(matcalc.ParseError) as caught:
        matcalc.derive("x^T\tx \x1b[2J", wrt="x")
    message = str(caught.value)
    assert "\x1b" not in message and "\\x1b" in message
    *_, shown, carets = message.split("\n")
    assert shown[len(carets) - len(carets.lstrip())] == "\ufffd"   # under the escape


# Bugs found by fuzzing, fixed at their root; kept as regressions.
ENGINE_BUGS = [
    pytest.param("jacobian", "X", "X", id="jacobian-of-X"),
    pytest.param("jacobian", "beta ||x||", "beta", id="jacobian-scalar-times-norm"),
    pytest.param("derive", "tr((A^2)^2)", "A", id="power-of-a-power"),
    pytest.param("derive", "beta^{1e100} x^T x + beta x^T x", "x", id="huge-scalar-exponent"),
    pytest.param("derive", "a^T x + (a^T x)^{1/1000}", "x", id="root-of-high-order"),
    pytest.param("derive", "x^T x / (1 - 1)", "x", id="division-by-a-zero-expression"),
    pytest.param("hessian", "-y^T a softmax(W2 h)", "W2", id="hessian-recursion"),
]


def test_hessian_of_a_vector_function_is_refused():
    with pytest.raises(matcalc.DerivationError, match="scalar"):
        matcalc.hessian("y^T a softmax(z)", wrt="z")


@pytest.mark.parametrize("command, expr, wrt", ENGINE_BUGS)
def test_engine_bug_found_by_fuzzing(command, expr, wrt):
    with deadline(5):
        try:
            COMMANDS[command](expr, wrt=wrt).text()
        except matcalc.MatcalcError:
            pass
