"""What makes a class a node of the expression trees (``ast``, ``index_ast``):
a frozen dataclass with structural equality and a hash computed once, and
its children found by one plain method per layout of child fields."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from operator import attrgetter

from .structure import shown as _shown


def node(cls):
    """A frozen dataclass with structural equality, and a structural hash
    computed once.  Equality and the hash are one pair of functions for all
    node classes (the dataclass's own, per class, would be compiled at every
    start: a third of a small command's node-class cost); they compare and
    hash the same fields, with the same values, as the generated ones would."""
    cls.__eq__, cls.__hash__ = _equal, _cached_hash      # before: the dataclass keeps them
    # The facts a node computes once (its hash, its sort key, its symbols:
    # node_facts) are None until then: the instance's own value hides the class's.
    cls._hash = cls._order = cls._symbols = None
    # Without a docstring the dataclass writes one from inspect.signature, at every start.
    cls.__doc__ = cls.__doc__ or f"{cls.__name__}: a node of the expression tree."
    cls = dataclass(frozen=True, eq=False, repr=False)(cls)
    cls.__repr__ = cls.__str__ = _shown
    every = fields(cls)
    compared = [f.name for f in every if f.compare]
    # An attrgetter is no descriptor: the instance finds it as it is (the hot path of ==).
    cls._compared = attrgetter(*compared) if compared else staticmethod(_no_values)
    cls._hashed = staticmethod(_values_of([f.name for f in every if (f.compare if f.hash is None else f.hash)]))
    cls._child_fields = tuple(f.name for f in every if f.name in ("arg", "args", "base", "exponent"))
    cls._leaf_fields = tuple(f.name for f in every if f.compare and f.name not in cls._child_fields)
    # The one child field of a node that holds nothing else but its span
    # ("arg", "args"), which ast.with_children writes without a general copy.
    held = {f.name for f in every} - {"span"}
    cls._only_child_field = cls._child_fields[0] if len(cls._child_fields) == 1 and held == set(cls._child_fields) \
        else None
    cls._children = _CHILDREN[cls._child_fields]
    # The fields without a default (span is the only one with one): a plain
    # __init__ for the usual layouts, writing the instance dict directly.
    plain = tuple(f.name for f in every if f.name != "span" and f.default is MISSING
                  and f.default_factory is MISSING)
    if len(plain) == len(every) - 1 and plain in _INITS:
        cls.__init__ = _INITS[plain]
    return cls


def _values_of(names: list):
    """A function giving what a node's hash is computed from: its value of
    ``names``, one bare (no tuple around it, no Python function to call: a
    node is hashed for the first time some hundred times a derivation), several
    as a tuple."""
    if names:
        return attrgetter(*names)
    return lambda node: ()


def _no_values(node) -> tuple:
    return ()


def _equal(self, other):
    # The values compared (one value bare, several as a tuple), as the
    # dataclass's own __eq__ compares them; a node is equal to itself.
    if self is other:
        return True
    if other.__class__ is self.__class__:
        compared = self._compared
        return compared(self) == compared(other)
    # A node of another type is unequal: said here, where NotImplemented would
    # have Python ask the other node in turn, a second call, to the same end.
    return False if other.__class__.__eq__ is _equal else NotImplemented


def _cached_hash(self):
    # Frozen forbids setattr, not the instance dict: the cache goes in
    # directly.  Read as an attribute, the class's None standing in until
    # then: one look-up, where the instance dict's get() is a method call
    # (a hash is the most frequent call of a derivation: every memo look-up).
    value = self._hash
    if value is None:
        # The class goes in too: x^T, d(x), tr(x) and vec(x) hold the same
        # values, and in one table they would all collide, each look-up of
        # one comparing it with the others.
        value = self.__dict__["_hash"] = hash((self.__class__, self._hashed(self)))
    return value


# A node is made about a hundred times a derivation (a product above all).
# The dataclass's own __init__ of a frozen class sets each field through
# object.__setattr__, at about three times the cost of writing the instance
# dict as ast.with_children does; these take the same arguments (the
# fields in order, span by keyword only) and store the same values.
def _args_init(self, args, *, span=None):
    state = self.__dict__
    state["span"] = span
    state["args"] = args


def _arg_init(self, arg, *, span=None):
    state = self.__dict__
    state["span"] = span
    state["arg"] = arg


def _name_init(self, name, *, span=None):
    state = self.__dict__
    state["span"] = span
    state["name"] = name


_INITS = {("args",): _args_init, ("arg",): _arg_init, ("name",): _name_init}


# children() is on every pass's hot path: one plain method per layout of
# child fields, not a loop over field names.  A leaf's is tuple() itself,
# the empty tuple made in C (no Python frame: half the nodes asked are leaves).
_no_children = staticmethod(tuple)


def _args_children(self):
    return self.args


def _arg_children(self):
    return (self.arg,)


def _base_exponent_children(self):
    return (self.base, self.exponent)


_CHILDREN = {(): _no_children, ("args",): _args_children, ("arg",): _arg_children,
             ("base", "exponent"): _base_exponent_children}
