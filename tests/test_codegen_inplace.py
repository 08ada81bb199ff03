"""Generated NumPy writes a value into an array that dies (``out=``,
printers/code/inplace.py): for every example and every function of its
module, the answers are those of the same module written without ``out=``,
bit for bit, and no input is written."""

from __future__ import annotations

import dataclasses
import inspect
import warnings

import numpy as np
import pytest

import matcalc
from codegen_support import EXAMPLES, arguments, derivation_of, user_values
from matcalc.lowering import lower
from matcalc.printers.code.module import module_text
from matcalc.printers.code.numpy import NUMPY

FUNCTIONS = ("loss_and_gradients", "value_and_jacobian", "hessian", "hessian_vector_product")


def namespace_of(text: str) -> dict:
    namespace = {"__name__": "generated"}
    exec(compile(text, "<generated>", "exec"), namespace)
    return namespace


def both_ways(derivation):
    """(the module as generated, the same without out=)."""
    module = lower(derivation)
    return (namespace_of(module_text(module, NUMPY)),
            namespace_of(module_text(module, dataclasses.replace(NUMPY, in_place={}))))


def flat(answer) -> list:
    if isinstance(answer, tuple):
        return [x for part in answer for x in flat(part)]
    if isinstance(answer, dict):
        return [x for key in sorted(answer) for x in flat(answer[key])]
    return [np.asarray(answer)]


def same_answers_inputs_untouched(derivation, values, rng):
    in_place, plain = both_ways(derivation)
    args = [values[name] for name in arguments(derivation)]
    ran = 0
    for name in FUNCTIONS:
        if name not in in_place:
            continue
        call_args = list(args)
        if "v" in inspect.signature(in_place[name]).parameters or name == "hessian_vector_product":
            size = np.size(values[derivation.wrt])
            call_args.append(rng.standard_normal(size))
        copies = [np.copy(a) for a in call_args]
        with np.errstate(all="ignore"):
            found, expected = in_place[name](*call_args), plain[name](*call_args)
        for before, after in zip(copies, call_args):
            assert np.array_equal(before, after, equal_nan=True), f"{name} wrote into an input"
        for x, y in zip(flat(found), flat(expected), strict=True):
            assert x.shape == y.shape and np.array_equal(x, y, equal_nan=True), name
        ran += 1
    assert ran


@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in EXAMPLES])
def test_writing_in_place_changes_no_answer_and_no_input(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, derivation = derivation_of(path)
    same_answers_inputs_untouched(derivation, user_values(derivation), np.random.default_rng(3))


@pytest.mark.parametrize("source, wrt, where", [
    # A is read after tanh(A) through a view (A^T) and inside an inlined expression
    ("A = X + Y; l = sum(tanh(A) ⊙ A^T) + sum(A)", "X", "X: n × n"),
    # A is read after tanh(A) through a view that is a statement of its own
    ("A = X + Y; B = A^T; C = tanh(A); l = sum(C ⊙ B)", "X", "X: n × n"),
    # B dies in a product whose other operand broadcasts: B keeps its shape
    ("B = W x 1^T + Y; l = sum(exp(B) ⊙ Y)", "W", "x: vector; Y: n × k"),
    # a returned value is never a buffer
    ("h = tanh(W x); l = h^T h", "W", ""),
])
def test_a_value_read_later_or_returned_is_not_written(source, wrt, where):
    derivation = matcalc.derive(source, wrt=wrt, where=where or None)
    same_answers_inputs_untouched(derivation, user_values(derivation), np.random.default_rng(4))


def test_the_tanh_network_reuses_its_arrays():
    """The benchmark's network: each pre-activation becomes its activation in place,
    each δH its δA; ||R||^2 is one dot product."""
    source = ("A1 = W1 X + b1 1^T; H1 = tanh(A1); A2 = W2 H1 + b2 1^T; H2 = tanh(A2); "
              "A4 = W4 H2 + b4 1^T; l = ||A4 - Y||_F^2")
    text = matcalc.derive(source, wrt="all", where="X, Y: data").to_python("numpy")
    assert "H1 = np.tanh(A1, out=A1)" in text and "H2 = np.tanh(A2, out=A2)" in text
    # tanh' = 1 - H2 ** 2: the square is a statement, so that 1 - it is computed in its array
    lines = [line.strip() for line in text.splitlines()]
    at = next(i for i, line in enumerate(lines) if line.startswith("δA2 = "))
    square, one_minus = (line.split(" = ")[0] for line in lines[at - 2:at])
    assert lines[at - 3].startswith("# δA2 = δH2 ⊙ (1 1^T - H2 .^ 2)")      # the step's comment comes first
    assert lines[at - 2:at + 1] == [f"{square} = H2 ** 2", f"{one_minus} = np.subtract(1, {square}, out={square})",
                                    f"δA2 = np.multiply(δH2, {one_minus}, out=δH2)"]
    assert "l = np.vdot(R, R)" in text
