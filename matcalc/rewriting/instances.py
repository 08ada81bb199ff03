"""A rule side with its bindings put in (the engine's ``instantiate``), by a
builder made once per side and catalog.  Every rewrite builds its right side,
and asking each node of the side what it is, at every build, was most of the
cost: a builder knows which of its nodes are variables, which need the
problem's sizes (1, 0, I, numel, ?f'), and which hold no variable at all and
are the rule's own node, as a rebuild with the same children would keep it."""

from __future__ import annotations

from ..language import ast as A
from ..shapes.dims import Dim

_BUILDERS = "builders"                       # the catalog's table of them (catalog.facts)
_SIZED_FUNCTIONS = ("numel", "identity", "commutation")


class Filling:
    """What one instantiation knows besides its bindings: the rule, the
    context, and the sizes the rule's dimension names have in the bindings
    (found on first use: most right sides size no 1, 0 or I)."""
    __slots__ = ("rule", "bindings", "context", "_dims")

    def __init__(self, rule, bindings: dict, context):
        self.rule, self.bindings, self.context, self._dims = rule, bindings, context, None

    def mapped(self, dim: Dim) -> Dim:
        if self._dims is None:
            self._dims = dimension_map(self.rule, self.bindings, self.context.env)
        result = Dim(dim.coef)
        for name in dim.names:
            result = result * self._dims[name]
        return result


def builder(side: A.Expr, catalog) -> tuple:
    """(the function (bindings, Filling) → ``side`` with the bindings put in,
    whether it needs the Filling: a side with no 1, 0, I or function of a
    size or of a variable is given None)."""
    table = catalog.facts.get(_BUILDERS)
    if table is None:
        table = catalog.facts[_BUILDERS] = {}
    # By identity: two rules' equal sides are each their own rule's nodes.
    # (The side is kept with its builder, so its id stays its own.)
    entry = table.get(id(side))
    if entry is None or entry[0] is not side:
        sized = any(map(_sized, A.walk(side)))
        entry = table[id(side)] = (side, (_compiled(side) or _constant(side), sized))
    return entry[1]


def _sized(node) -> bool:
    """A node built from the problem's sizes or functions, not from the bindings alone."""
    kind = type(node)
    return kind is A.Ones or kind is A.Zero or kind is A.Identity or (
        kind is A.Func and (node.name.startswith("?") or node.name in _SIZED_FUNCTIONS))


def _constant(node):
    return lambda bindings, filling: node


def _compiled(node):
    """The builder of ``node``, or None for a subtree with no variable (it is
    the rule's node itself)."""
    kind = type(node)           # (rule sides hold these node types themselves, no subclass)
    if kind is A.PatternVar:
        name = node.name
        return lambda bindings, filling: bindings[name]
    if kind is A.Func and _sized(node):
        return _function(node)
    if kind is A.Ones or kind is A.Zero:
        rows, cols = node.rows, node.cols
        return lambda bindings, filling: kind(filling.mapped(rows), filling.mapped(cols))
    if kind is A.Identity:
        size = node.size
        return lambda bindings, filling: A.Identity(filling.mapped(size))
    kids = node._children()
    parts = [_compiled(kid) for kid in kids]
    if all(part is None for part in parts):
        return None
    parts = [part or _constant(kid) for part, kid in zip(parts, kids)]
    span = node.span
    if node._only_child_field == "arg":
        (part,) = parts
        return lambda bindings, filling: kind(part(bindings, filling), span=span)
    if node._only_child_field == "args":
        return lambda bindings, filling: kind(tuple([part(bindings, filling) for part in parts]), span=span)
    return lambda bindings, filling: A.with_children(node, [part(bindings, filling) for part in parts])


def _function(node: A.Func):
    """?f(..) and ?f'(..) (the bound function, or its derivative from the
    context), and numel, identity and commutation of sides built first."""
    name = node.name
    if name == "commutation":
        first, second = (_compiled(part) or _constant(part) for part in node.arg.args)

        def commutation(bindings, filling):
            shape = filling.context.env.shape
            return A.Commutation(shape(first(bindings, filling))[0], shape(second(bindings, filling))[0])
        return commutation
    arg = _compiled(node.arg) or _constant(node.arg)
    if name == "numel":
        def numel(bindings, filling):
            rows, cols = filling.context.env.shape(arg(bindings, filling))
            return A.DimValue(rows * cols)
        return numel
    if name == "identity":
        return lambda bindings, filling: A.Identity(filling.context.env.shape(arg(bindings, filling))[0])
    bound = name.rstrip("'")
    if name.endswith("'"):
        def derivative(bindings, filling):
            built = arg(bindings, filling)
            context = filling.context
            return context.derivative(bindings[bound], built, context.env.shape(built))
        return derivative

    def function(bindings, filling):
        built = arg(bindings, filling)
        return A.Func(bindings[bound], built)
    return function


def dimension_map(rule, bindings: dict, env, strict: bool = False) -> dict | None:
    """The size each dimension name of ``rule`` has in ``bindings`` (the
    first bound variable that has it as its rows or columns tells); with
    ``strict``, None when two variables give one name different sizes."""
    mapping: dict[str, Dim] = {}
    sized = rule.sized_variables
    for name, value in bindings.items():
        dims = sized.get(name)
        if dims is None or not isinstance(value, A.Expr):
            continue
        shape = env.shape(value)
        for position, dim_name in dims:
            actual = shape[position]
            known = mapping.setdefault(dim_name, actual)
            if strict and known is not actual and known != actual:
                return None
    return mapping
