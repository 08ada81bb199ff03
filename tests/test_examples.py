"""Every examples/*.sh runs, checks itself, and agrees with its `# expect:` line."""

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

import matcalc
from matcalc.language import ast as A
from matcalc.cli import main
from matcalc.numeric.evaluate import bind_values, evaluate
from matcalc.numeric.data import random_point
from matcalc.numeric.differences import (gradient_with_error, hessian_with_error,
                                        jacobian_with_error)
from matcalc.language.parser import parse_declarations, parse_program
from matcalc.shapes.infer import infer

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.sh"))


def read_example(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    comments = [line for line in lines if line.startswith("#")]
    commands = [line for line in lines if not line.startswith("#")]
    assert lines[: len(comments)] == comments, "comments come first"
    assert len(commands) == 1, "exactly one command line"
    expect = [c.split(":", 1)[1].strip() for c in comments if c.startswith("# expect:")]
    assert len(expect) == 1, "one '# expect:' line"
    return commands[0], expect[0]


def options(argv):
    """expression, wrt and where from `derive|jacobian|hessian EXPR --wrt X [--where W] --check`."""
    named = dict(zip(argv[2::2], argv[3::2]))
    return argv[1], named["--wrt"], named.get("--where")


def typed_together(source, expect, where, command, wrt):
    """The function and the expected answer typed jointly, so the `1`s and `I`s
    of the expected answer get their sizes from the function's symbols and
    from the shape the answer must have."""
    declarations = parse_declarations(where or "")
    program = parse_program(source, declarations)
    expr = program.result
    for name, definition in reversed(program.bindings):
        expr = A.substitute(expr, {A.Symbol(name): definition})
    X = A.Symbol(wrt)
    shape_of_answer = {
        "derive": X,
        "jacobian": A.Product((A.Vec(expr), A.Transpose(A.Vec(X)))),
        "hessian": A.Product((A.Vec(X), A.Transpose(A.Vec(X)))),
    }[command]
    expected = parse_program(expect, declarations).result
    # expected + 0 · (something of the answer's shape): typing unifies the two.
    witness = A.Add((expected, A.Product((A.ZERO, shape_of_answer))))
    (_, typed), _, env = infer([expr, witness], expect, declarations)
    return typed.args[0], env


def reference(command, d, point):
    """The answer by finite differences, independently of the derivation."""
    if command == "jacobian":
        return jacobian_with_error(d.problem.expr, d.wrt, point)[0]
    if command == "hessian":
        return hessian_with_error(d.problem.expr, d.wrt, point)[0]
    return gradient_with_error(d.problem.expr, d.wrt, point, d.problem.env)[0]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example(path, capsys):
    command, expect = read_example(path)
    argv = shlex.split(command)[1:]
    assert command.startswith("matcalc ") and argv[0] in ("derive", "jacobian", "hessian")
    assert "--check" in argv

    status = main(argv)
    out = capsys.readouterr().out
    assert status == 0, out
    assert "∂" in out
    error = re.search(r"check: max relative error (\S+)", out)
    assert error and float(error.group(1)) <= 1e-6, out

    expr, wrt, where = options(argv)
    d = getattr(matcalc, argv[0])(expr, wrt=wrt, where=where)
    values = random_point(d.problem.expr, d.problem.env, seed=1).values
    point, _ = bind_values(values, d.problem.symbols, d.problem.env)
    numeric = reference(argv[0], d, point)
    scale = max(np.max(np.abs(numeric)), 1e-6)

    answer = np.asarray(d.evaluate(values)).reshape(numeric.shape)
    assert np.max(np.abs(answer - numeric)) / scale <= 1e-6

    expected, env = typed_together(expr, expect, where, argv[0], wrt)
    for name in d.problem.symbols:
        assert env.symbols[name] == d.problem.env.symbols[name], name
    value = np.broadcast_to(evaluate(expected, point), numeric.shape)
    assert np.max(np.abs(value - numeric)) / scale <= 1e-6, f"# expect: {expect} is not the gradient"
