"""Every LaTeX matcalc prints reads back to an equal expression (SPEC §11, issue 28 item 6).

For every example: the answer's LaTeX, and the LaTeX of every step without a
differential (d X is not something to differentiate), is read back by the
LaTeX reader and compared numerically, on random data with distinct sizes,
with the same expression read from matcalc's plain text.  The names a
derivation prints (W_{1}, \\mathit{xh}, \\delta_{a_{2}}) read back to one
name each, and every row of the golden LaTeX files without a differential reads.
"""

from __future__ import annotations

import re
import shlex
import warnings

import numpy as np
import pytest

import matcalc
from matcalc.language import ast as A
from matcalc.language.latex import read_latex
from matcalc.language.parser import parse_declarations, parse_program
from matcalc.numeric.data import random_point
from matcalc.numeric.evaluate import evaluate
from matcalc.printers.latex import symbol_latex, to_latex
from matcalc.printers.text import to_text
from matcalc.shapes.infer import infer

from test_examples import EXAMPLES, options, read_example
from test_golden import GOLDEN

NOT_READ = (A.Differential, A.Commutation, A.Unvec, A.DimValue)


def derivations(path):
    command, _ = read_example(path)
    argv = shlex.split(command)[1:]
    expr, wrt, where = options(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matcalc.MatcalcWarning)
        d = getattr(matcalc, argv[0])(expr, wrt=wrt, where=where)
    return (list(d.values()) if isinstance(d, matcalc.api.Gradients) else [d]), where


def renaming(names) -> dict:
    """The name the LaTeX reader gives a printed name → the name the plain parser gives it."""
    pairs = {}
    for name in names:
        as_text = parse_program(to_text(A.Symbol(name))).result
        as_latex = parse_program(read_latex(symbol_latex(name)).plain).result
        pairs[as_latex] = as_text
    return pairs


def read_back_equals(expr: A.Expr, where: str | None, latex: str | None = None, definitions=()) -> None:
    """``latex`` (by default the expression's LaTeX) read back equals the expression's plain text,
    numerically, with the named values (a1 = W1 x, ...) written out."""
    printed = parse_program(to_text(expr)).result
    back = A.substitute(parse_program(read_latex(latex or to_latex(expr)).plain).result,
                        renaming(A.symbol_names(expr)))
    for name, definition in reversed(definitions):
        written = {A.Symbol(name): parse_program(to_text(definition)).result}
        printed, back = A.substitute(printed, written), A.substitute(back, written)
    difference = A.Add((back, A.Product((A.MINUS_ONE, printed))))
    (typed,), _, env = infer([difference], to_text(difference), parse_declarations(where or ""))
    for seed in (1, 2):
        point = random_point(typed, env, seed)
        with np.errstate(all="ignore"):
            read, expected = evaluate(typed.args[0], point), -evaluate(typed.args[1], point)
        scale = max(np.max(np.abs(expected)), 1e-6)
        assert np.max(np.abs(read - expected)) <= 1e-9 * scale, (to_latex(expr), to_text(expr))


def readable(expr) -> bool:
    return not any(isinstance(node, NOT_READ) for node in A.walk(expr))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_answers_and_steps_read_back(path):
    found, where = derivations(path)
    for d in found:
        if readable(d.result):            # (a mean's 1/N prints N, a size: no symbol to read)
            read_back_equals(d.result, where)
        known = set(d.problem.symbols) | {name for name, _ in d.names}
        for step in d.steps:
            if step.after is not None and readable(step.after) and A.symbol_names(step.after) <= known:
                read_back_equals(step.after, where, definitions=d.names)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_printed_names_read_back_to_one_name(path):
    found, _ = derivations(path)
    for d in found:
        names = {n for n, _ in d.names} | set(d.problem.symbols) | {d.label.function, d.wrt}
        names |= {n for s in d.steps if s.after is not None for n in A.symbol_names(s.after)}
        for name in names:
            back = parse_program(read_latex(symbol_latex(name)).plain).result
            assert isinstance(back, (A.Symbol, A.Identity, A.Ones)), name
            assert symbol_latex(back.name) == symbol_latex(name) or name.startswith(("δ", "Δ", "ε")), name


# The index method's rows are written by components (a_{i}, \sum_{j}): not matcalc's input language.
GOLDEN_ROWS = [(path.stem, row) for path in sorted(GOLDEN.glob("*.tex")) if not path.stem.endswith("_index")
               for row in path.read_text(encoding="utf-8").splitlines() if "&=" in row]


@pytest.mark.parametrize("case, row", GOLDEN_ROWS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(GOLDEN_ROWS)])
def test_golden_rows_read(case, row):
    first, *more = row.split("&=", 1)[1].split("&&")[0].strip().removesuffix(r"\\").split(r"\qquad")
    for expression in [first] + [equation.split(" = ", 1)[1] for equation in more]:   # gradients side by side
        if re.search(r"\\mathrm\{d\}|K_\{|\\operatorname\{vec\}\^\{-1\}", expression):
            continue                              # a differential, K or vec⁻¹: not a function to read
        parse_program(read_latex(expression).plain)


USER_NOTATION = [
    (r"-\mathbf{y}^\top \log \operatorname{softmax}(\mathbf{W}^{(2)} \sigma(\mathbf{W}^{(1)} \mathbf{x}))",
     r"\mathbf{W}^{(1)}", "y: probability vector"),
    (r"\frac{1}{2}\|\mathbf{t} - \boldsymbol{\Phi}\mathbf{w}\|^2 + \frac{\lambda}{2}\mathbf{w}^{\mathrm{T}}\mathbf{w}",
     r"\mathbf{w}", None),
    (r"\mathbf{x}^{(1)\top} \boldsymbol{\Sigma}^{-1} \mathbf{x}^{(1)} + \log\det\boldsymbol{\Sigma}", r"\boldsymbol{\Sigma}",
     "Sigma: positive definite"),
    (r"\|\hat{\mathbf{y}} - \tilde{W}\bar{\mathbf{x}}\|^2", r"\tilde{W}", None),
]


@pytest.mark.parametrize("latex, wrt, where", USER_NOTATION)
def test_answers_in_the_users_notation_read_back(latex, wrt, where):
    d = matcalc.derive(latex, wrt=wrt, where=where)
    spellings = dict(d.problem.typed.spellings)
    printed = d.latex()
    assert printed.startswith(rf"\frac{{\partial l}}{{\partial {spellings[d.wrt]}}} = ")
    assert all(spelling in printed for name, spelling in spellings.items() if name in A.symbol_names(d.result))
    read_back_equals(d.result, where, printed.split(" = ", 1)[1])
