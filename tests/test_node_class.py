"""The node classes' own __init__ (language/node_class.py, issue 24): it takes
the arguments a frozen dataclass's generated __init__ would, in the same
order with the same defaults, and makes the same node."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from matcalc.language import ast as A
from matcalc.language import index_ast as I


def node_classes():
    found = []
    for module in (A, I):
        for name in sorted(dir(module)):
            value = getattr(module, name)
            if isinstance(value, type) and dataclasses.is_dataclass(value) and "_compared" in value.__dict__:
                found.append(value)
    return found


def expected_parameters(cls) -> list:
    """(name, kind, default) as dataclasses orders them: positional fields, then keyword-only ones."""
    fields = dataclasses.fields(cls)
    ordered = [f for f in fields if not f.kw_only] + [f for f in fields if f.kw_only]
    return [(f.name, inspect.Parameter.KEYWORD_ONLY if f.kw_only else inspect.Parameter.POSITIONAL_OR_KEYWORD,
             inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default) for f in ordered]


@pytest.mark.parametrize("cls", node_classes(), ids=lambda cls: cls.__name__)
def test_init_takes_the_dataclass_arguments(cls):
    parameters = list(inspect.signature(cls).parameters.values())
    assert [(p.name, p.kind, p.default) for p in parameters] == expected_parameters(cls)


@pytest.mark.parametrize("cls", node_classes(), ids=lambda cls: cls.__name__)
def test_every_field_is_stored_as_given_or_defaulted(cls):
    fields = dataclasses.fields(cls)
    given = {f.name: object() for f in fields if f.default is dataclasses.MISSING}
    made = cls(**given)
    for f in fields:
        assert getattr(made, f.name) is given.get(f.name, f.default)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, fields[-1].name, None)


def test_positional_and_keyword_arguments_make_equal_nodes():
    x = A.Symbol("x")
    assert A.Power(x, A.ONE, True) == A.Power(base=x, exponent=A.ONE, from_division=True)
    assert A.Power(x, A.ONE, True).from_division and not A.Power(x, A.ONE).from_division
    assert A.Product((x, x), span=(0, 3)).span == (0, 3)
    assert hash(A.Product((x, x), span=(0, 3))) == hash(A.Product((x, x)))
    with pytest.raises(TypeError):
        A.Product((x, x), (0, 3))                    # span is keyword-only, as in the dataclass


def walked_mask(expr) -> int:
    """The bits of the classes in a tree by visiting every node: the definition the cache must agree with."""
    mask = 0
    for node in A.walk(expr):
        mask |= type(node)._type_bit
    return mask


@pytest.mark.parametrize("index", range(30))
def test_types_mask_of_every_subtree_agrees_with_a_walk(index):
    from matcalc.language.parser import parse_program
    from strategies import random_case
    tree = parse_program(random_case(24, index).expression).result
    nodes = list(A.walk(tree))
    for node in nodes:                          # the root first, then every node again
        assert A.types_mask(node) == walked_mask(node)
    assert len({cls._type_bit for cls in node_classes()}) == len(node_classes())     # one bit each


def test_a_rebuilt_node_does_not_keep_its_old_types():
    x, power = A.Symbol("x"), A.Power(A.Symbol("x"), A.Number(2))
    assert A.types_mask(power) == walked_mask(power)
    rebuilt = A.with_children(power, [A.Trace(x), A.Number(2)])         # (a node of several child fields)
    assert A.types_mask(rebuilt) == walked_mask(rebuilt) != A.types_mask(power)


@pytest.mark.parametrize("count", range(5))
def test_same_objects_asks_identity_not_equality(count):
    nodes = [A.Symbol(f"x{k}") for k in range(count)]
    copies = [A.Symbol(f"x{k}") for k in range(count)]     # equal, not the same objects
    assert A.same_objects(nodes, tuple(nodes))
    assert A.same_objects(nodes, copies) == (count == 0)
    assert not A.same_objects(nodes, nodes + [A.ONE])
    for k in range(count):
        assert not A.same_objects(nodes, nodes[:k] + [copies[k]] + nodes[k + 1:])
