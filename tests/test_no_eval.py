"""No code execution from input (issue #4): the user's text is only ever
read by the Lark grammar; it never reaches ``eval``, ``exec``, ``compile``,
``__import__``, ``sympify`` or ``parse_expr``, and SymPy only sees objects
that matcalc builds itself.

Three kinds of evidence:

* the source: every call in the package is inspected (``ast``) for the
  functions that run or import code, and for ``getattr`` with a computed
  name (a dispatch on user text could reach any method);
* the run: while hostile and ordinary inputs are derived, an audit hook
  watches for code being compiled or executed and processes started, and
  SymPy's string parser is booby-trapped;
* the outcome: Python- and shell-looking inputs are syntax errors with a
  caret, exit status 2, and leave no file behind.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import sympy.parsing.sympy_parser

import matcalc
from matcalc.language import functions
from matcalc.cli import main

PACKAGE = Path(matcalc.__file__).resolve().parent
SOURCES = sorted(PACKAGE.rglob("*.py"))

# Calls that run, compile or import code, or parse a string as SymPy (sympify,
# S("..."), parse_expr, lambdify's generated code), or start a process.
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "import_module", "breakpoint",
                   "sympify", "parse_expr", "parse_latex", "lambdify", "S", "system", "popen",
                   "Popen", "spawn", "execv", "execve", "startfile", "load", "loads"}
FORBIDDEN_MODULES = {"subprocess", "pickle", "marshal", "importlib", "ctypes", "code", "codeop",
                     "runpy", "shelve", "os"}

# getattr with a computed name, each reviewed: what the name is built from.
REVIEWED_GETATTR = {
    ("infer.py", "'infer_' + type(node).__name__"),  # an AST class name
    ("vec_method.py", "'_' + type(expr).__name__.lower()"),  # an AST class name
    ("components.py", "'_' + type(expr).__name__.lower()"),  # an AST class name (the index method)
    ("unify.py", "name"),                           # a dataclass field being undone
    ("ast.py", "name"),                             # a node class's own field (order_key)
    ("structure.py", "f.name"),                     # a node class's own dataclass field (dump)
    ("declarations.py", "aspect"),                  # a declaration clause's own field (kind, dims)
    ("declarations.py", "flag"),                    # a declaration clause's own flag field
    ("rule_data.py", "f.name"),                     # a node class's own dataclass field (encode)
    ("rule_data.py", "flag"),                       # a SymbolType flag named in rule_data itself
}


def _calls(tree):
    """(call node, called name); ``re.compile`` compiles a regular
    expression and ``json.loads`` reads data, not code: both are left out."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                yield node, func.id
            elif isinstance(func, ast.Attribute):
                receiver = func.value.id if isinstance(func.value, ast.Name) else None
                if (receiver, func.attr) not in (("re", "compile"), ("json", "loads")):
                    yield node, func.attr


def _trees():
    for path in SOURCES:
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


# ------------------------------------------------------------------ the source
def test_the_package_never_calls_code_running_functions():
    found = [f"{path.relative_to(PACKAGE)}:{node.lineno}: {name}(...)"
             for path, tree in _trees() for node, name in _calls(tree) if name in FORBIDDEN_CALLS]
    assert not found, "code-running calls in matcalc:\n" + "\n".join(found)


def test_the_package_imports_nothing_that_runs_code_or_processes():
    found = []
    for path, tree in _trees():
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.relative_to(PACKAGE)}:{node.lineno}: import {n}"
                      for n in names if n.split(".")[0] in FORBIDDEN_MODULES]
    assert not found, "\n".join(found)


def test_every_computed_getattr_is_reviewed():
    """A new ``getattr(obj, <expression>)`` must be added to REVIEWED_GETATTR
    after checking that user text cannot choose the attribute."""
    unreviewed = []
    for path, tree in _trees():
        for node, name in _calls(tree):
            if name in ("getattr", "setattr", "delattr") and len(node.args) >= 2 \
                    and not isinstance(node.args[1], ast.Constant):
                key = (path.name, ast.unparse(node.args[1]))
                if key not in REVIEWED_GETATTR:
                    unreviewed.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {key[1]}")
    assert not unreviewed, "computed attribute names to review:\n" + "\n".join(unreviewed)


def test_sympy_gets_no_text_but_symbol_names():
    """In every call into SymPy, a string literal is at most a symbol's name."""
    found = []
    for path, tree in _trees():
        for node, name in _calls(tree):
            func = node.func
            if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                    and func.value.id == "sympy"):
                continue
            texts = [a for a in node.args if isinstance(a, (ast.Constant, ast.JoinedStr))
                     and isinstance(getattr(a, "value", ""), str)]
            if texts and name != "Symbol":
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: sympy.{name}({ast.unparse(texts[0])})")
    assert not found, "\n".join(found)


def test_elementwise_derivatives_come_from_a_fixed_table():
    """elementwise.py hands SymPy only its own function objects, looked up by
    the canonical name the parser produced; an unknown name is a KeyError,
    never something SymPy would interpret."""
    from matcalc.calculus import elementwise
    for name in functions.ELEMENTWISE:
        assert elementwise.sympy_function(name) is not None, name
    with pytest.raises(KeyError):
        elementwise._derivative("__import__('os').system('true')")


# ------------------------------------------------------------------ the run
class _Watch:
    """An audit hook (it cannot be removed, so it is switched on and off)
    recording code being compiled or run and processes being started, with
    the file that asked for it."""
    EVENTS = ("exec", "compile", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
              "subprocess.Popen", "ctypes.dlopen", "pty.spawn", "webbrowser.open")
    active = False
    seen: list = []

    @classmethod
    def hook(cls, event, args):
        if cls.active and event in cls.EVENTS:
            caller = sys._getframe(1).f_code
            source = args[0] if event == "compile" else None
            if isinstance(source, bytes):
                source = source.decode("utf-8", "replace")
            cls.seen.append((event, f"{caller.co_filename}:{caller.co_name}", source))


# Code that legitimately runs during a derivation, none of it built from the
# input: SymPy's polynomial arithmetic compiles monomial operations from a
# fixed template (sympy/polys/monomials.py, MonomialOps._build), and a SymPy
# submodule may be imported on first use.
LEGITIMATE_ORIGINS = ("sympy/polys/monomials.py:_build", "<frozen importlib._bootstrap>:")


def assert_no_code_from(text: str, seen: list) -> None:
    for event, origin, source in seen:
        assert any(allowed in origin for allowed in LEGITIMATE_ORIGINS), \
            f"{event} from {origin} while reading {text!r}: {source!r:.300}"
        assert source is None or text not in source, f"the input reached {event}: {source!r:.300}"


sys.addaudithook(_Watch.hook)

HOSTILE = [
    "__import__('os').system('touch MARKER')",
    "eval(\"1\")",
    "eval(1)",
    "exec('import os')",
    "os.system('touch MARKER')",
    "x.__class__",
    "lambda: 0",
    "[x for x in y]",
    "{}",
    "`touch MARKER`",
    "$(touch MARKER)",
    "x^T x; __import__('os')",
    "open('MARKER', 'w')",
    "sympify('x')",
    "S('x')",
    "x^T x # comment",
    "x^T x \\",
    "print(x)",
    "getattr(x, 'y')",
]


def _booby_trapped_parse_expr(*args, **kwargs):  # pragma: no cover - must not run
    raise AssertionError(f"SymPy was asked to parse text: {args!r:.200}")


@pytest.fixture
def watched(monkeypatch):
    """Every string SymPy sympifies goes through parse_expr (looked up at call
    time), so trapping it catches any text reaching SymPy."""
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", _booby_trapped_parse_expr)
    # Warm up first: loading grammar, rules and SymPy's lazy modules runs code legitimately.
    for name in sorted(functions.ELEMENTWISE):
        _derive_quietly(f"sum({name}(x))")
    _derive_quietly("-y^T log(softmax(W2 sigma(W1 x)))", wrt="W1")
    # The LaTeX reader and the backward sweep load with their first use (start-up, issue 24).
    _derive_quietly("\\mathbf{x}^\\top A \\mathbf{x}", wrt="x")
    _derive_quietly("a = W x; l = a^T a", wrt="W")
    _Watch.seen.clear()
    _Watch.active = True
    yield _Watch.seen
    _Watch.active = False


def _derive_quietly(expr, wrt="x", where=None):
    try:
        return matcalc.derive(expr, wrt=wrt, where=where).text()
    except matcalc.MatcalcError as error:
        return str(error)


@pytest.mark.parametrize("expr", HOSTILE)
def test_hostile_input_runs_no_code(watched, expr):
    _derive_quietly(expr)
    _derive_quietly("x^T x", wrt=expr)
    _derive_quietly("x^T x", where=f"x: {expr}")
    assert_no_code_from(expr, watched)


@pytest.mark.parametrize("expr, wrt", [
    ("sum(" + " + ".join(f"{name}(x)" for name in sorted(functions.ELEMENTWISE)) + ")", "x"),
    ("-y log(sigma(w^T x)) - (1 - y) log(1 - sigma(w^T x))", "w"),
    ("(beta x^T x + beta^2 x^T x) / (1 + beta)", "x"),
])
@pytest.mark.filterwarnings("ignore:.* is declared but does not appear:matcalc.MatcalcWarning")          # one where clause for all the cases
def test_ordinary_derivations_run_no_code_either(watched, expr, wrt):
    _derive_quietly(expr, wrt=wrt, where="y, beta: scalar")
    assert_no_code_from(expr, watched)


# ------------------------------------------------------------------ the outcome
@pytest.mark.parametrize("expr", HOSTILE)
def test_code_looking_input_is_a_parse_error_with_a_caret(expr):
    with pytest.raises(matcalc.ParseError) as caught:
        matcalc.derive(expr, wrt="x")
    assert set(str(caught.value).splitlines()[-1].strip()) == {"^"}, str(caught.value)


def _placements(expr):
    """The hostile text as the expression, as --wrt and as --where."""
    return (["derive", expr, "--wrt", "x"], ["derive", "x^T x", "--wrt", expr],
            ["derive", "x^T x", "--wrt", "x", "--where", expr])


@pytest.mark.parametrize("expr", HOSTILE)
def test_code_looking_input_exits_2_and_leaves_no_file(run_cli, expr, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in _placements(expr):
        status, out, err = run_cli(*argv)
        assert status == 2 and out == "" and err.count("matcalc: error:") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_a_real_process_leaves_no_marker_file(tmp_path):
    """Through a real interpreter and its shell-free argv: nothing is created."""
    expr = "__import__('os').system('touch MARKER') $(touch MARKER) `touch MARKER`"
    for argv in _placements(expr):
        done = subprocess.run([sys.executable, "-m", "matcalc", *argv], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ the checks themselves
def test_the_source_check_would_see_a_call_to_eval():
    snippet = ast.parse("import re\nre.compile('x')\nsympy.sympify(text)\neval(text)\n")
    assert sorted(name for _, name in _calls(snippet)) == ["eval", "sympify"]


def test_the_watch_would_see_eval(watched):
    eval("1 + 1")  # noqa: S307 - the point of the test
    with pytest.raises(AssertionError):
        assert_no_code_from("1 + 1", watched)
