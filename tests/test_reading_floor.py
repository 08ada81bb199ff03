"""Issue 24, the floor: what reading skips or counts another way gives what
the full work gives, on the project's random expressions and programs."""

from __future__ import annotations

import warnings

import pytest

from matcalc import api
from matcalc.language import ast as A
from matcalc.language.limits import node_count
from program_strategies import random_program
from strategies import random_case

TEXTS = ["x^T A x", "sqrt(x^T x) + log(alpha)", "tr(X^-1) + (x^T x)^2", "a = x + y; b = a a^T; tr(b b)",
         "(i ones) ⊙ x ⊙ y", "sin(i) A B x", "x .^ i", "2 mu x", "i x"]


def _problems():
    for text in TEXTS:
        yield api._problem(text, "i: scalar")
    for index in range(30):
        case = random_case(27, index)
        yield api._problem(case.expression, case.where)
    for index in range(10):
        program = random_program(27, index)
        yield api._problem(program.text, program.where)


@pytest.fixture(scope="module")
def problems():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # (unused statements of the random programs)
        return list(_problems())


def test_the_domain_checks_run_only_on_a_tree_that_holds_a_power_or_a_function(problems):
    """_problem looks for x^-1 of a zero and log of a negative constant only where
    types_mask says a Power or a Func occurs: exactly the trees a walk finds one in."""
    for problem in problems:
        walked = any(isinstance(node, (A.Power, A.Func)) for node in A.unique_nodes(problem.expr))
        assert A.holds(problem.expr, A.Power, A.Func) == walked


def test_the_reading_work_counts_every_node_as_size_does(problems):
    for problem in problems:
        trees = [definition for _, definition in problem.statements] or [problem.expr]
        assert node_count(trees) == sum(A.size(tree) for tree in trees)
    shared = A.Symbol("x")
    for _ in range(6):
        shared = A.Product((shared, shared))
    assert node_count([shared, shared]) == 2 * A.size(shared) == 2 * 127


def test_a_quick_record_takes_what_its_dataclass_takes():
    from dataclasses import FrozenInstanceError, dataclass, field, replace

    from matcalc.language.declarations import Declaration
    from matcalc.language.records import quick_init

    @dataclass(frozen=True)
    class Plain:
        kind: str
        rows: object = None
        span: tuple | None = field(default=None, compare=False)

    Quick = quick_init(dataclass(frozen=True)(type("Quick", (), {
        "__annotations__": {"kind": "str", "rows": "object", "span": "tuple | None"},
        "rows": None, "span": field(default=None, compare=False)})))
    for args, given in [(("v",), {}), (("v", 3), {}), (("v",), {"span": (1, 2)}), ((), {"kind": "m", "rows": 4})]:
        plain, quick = Plain(*args, **given), Quick(*args, **given)
        assert (plain.kind, plain.rows, plain.span) == (quick.kind, quick.rows, quick.span)
        assert quick == Quick(*args, **given) and hash(quick) == hash(Quick(*args, **given))
    for args, given in [((), {}), (("v", 1, 2, 3), {}), (("v",), {"kind": "m"}), (("v",), {"size": 3})]:
        with pytest.raises(TypeError):
            Plain(*args, **given)
        with pytest.raises(TypeError):
            Quick(*args, **given)
    with pytest.raises(FrozenInstanceError):
        Quick("v").kind = "m"
    declared = Declaration("matrix", True, rows=3)
    assert replace(declared, cols=4) == Declaration("matrix", True, False, False, False, 3, 4)
    assert declared.span is None and not declared.matrix_or_vector


@pytest.mark.parametrize("text", ["i x", "A B x y", "a^T A1 A2 A3 b", "(x) (y)^T z", "log x y"])
def test_operands_side_by_side_make_the_product_the_chain_folds(text):
    """factors builds juxtaposed operands into one Product itself; ProductChain's fold gives the same node and span."""
    from matcalc.language.product_chain import ProductChain
    from matcalc.language.transformer import Build

    built = api.parse_program(text).result
    assert isinstance(built, A.Product)
    chain = ProductChain(Build(False, frozenset()), built.span[0], built.args[0])
    for operand in built.args[1:]:
        chain.append(None, operand)
    folded = chain.finish()
    assert folded == built and folded.span == built.span
