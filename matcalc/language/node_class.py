"""What makes a class a node of the expression trees (``ast``, ``index_ast``):
a frozen dataclass with structural equality and a hash computed once, and
its children found by one plain method per layout of child fields."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from itertools import count
from operator import attrgetter, is_

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
    cls.__init__ = _INITIALIZERS.get(tuple((f.name, f.default, f.kw_only) for f in every), cls.__init__)
    compared = [f.name for f in every if f.compare]
    # An attrgetter is no descriptor: the instance finds it as it is (the hot path of ==).
    cls._compared = attrgetter(*compared) if compared else staticmethod(_no_values)
    # The values hashed: one value bare, several as a tuple (no tuple of one
    # made by a function call at each new node's hash).
    hashed = [f.name for f in every if (f.compare if f.hash is None else f.hash)]
    cls._hashed = attrgetter(*hashed) if hashed else staticmethod(_no_values)
    cls._child_fields = tuple(f.name for f in every if f.name in ("arg", "args", "base", "exponent"))
    cls._leaf_fields = tuple(f.name for f in every if f.compare and f.name not in cls._child_fields)
    # The one child field of a node that holds nothing else but its span
    # ("arg", "args"), which ast.with_children writes without a general copy.
    held = {f.name for f in every} - {"span"}
    cls._only_child_field = cls._child_fields[0] if len(cls._child_fields) == 1 and held == set(cls._child_fields) \
        else None
    cls._children = _CHILDREN[cls._child_fields]
    # One bit per node class: the classes a tree holds are one int (types_mask).
    cls._type_bit = 1 << next(_CLASS_NUMBERS)
    return cls


_CLASS_NUMBERS = count()
TYPES = "_types"            # a node's cached types_mask, in its instance dict


def types_mask(expr) -> int:
    """The bits of the node classes that occur in ``expr`` (its own
    included), kept in each node as its hash is: a rewrite pass asks which
    node types a tree holds, and a tree rebuilt around a change answers
    from its unchanged subtrees."""
    mask = expr.__dict__.get(TYPES)
    if mask is None:
        mask = expr._type_bit
        for kid in expr._children():
            mask |= types_mask(kid)
        expr.__dict__[TYPES] = mask
    return mask


def same_objects(new, old) -> bool:
    """Whether two sequences hold the very same objects in order (no __eq__
    asked); all(map(is_, ..)) costs more than the usual one or two children."""
    count = len(new)
    if count != len(old):
        return False
    if count == 2:
        return new[0] is old[0] and new[1] is old[1]
    return new[0] is old[0] if count == 1 else all(map(is_, new, old))


# The __init__ of the most made layouts of fields, which write each value
# straight into the instance dict: nodes are made on every pass's hot path,
# and the frozen dataclass's object.__setattr__ per field took half the time
# of making one.  They take the arguments the dataclass's own would (the
# field's name, order, default, keyword-only span); another layout keeps the
# dataclass's.
def _init_args(self, args, *, span=None):
    state = self.__dict__
    state["span"] = span
    state["args"] = args


def _init_arg(self, arg, *, span=None):
    state = self.__dict__
    state["span"] = span
    state["arg"] = arg


def _init_name(self, name, *, span=None):
    state = self.__dict__
    state["span"] = span
    state["name"] = name


def _init_value(self, value, written_one=False, *, span=None):
    state = self.__dict__
    state["span"] = span
    state["value"] = value
    state["written_one"] = written_one


def _init_power(self, base, exponent, from_division=False, *, span=None):
    state = self.__dict__
    state["span"] = span
    state["base"] = base
    state["exponent"] = exponent
    state["from_division"] = from_division


def _init_base_exponent(self, base, exponent, *, span=None):
    state = self.__dict__
    state["span"] = span
    state["base"] = base
    state["exponent"] = exponent


def _init_function(self, name, arg, *, span=None):
    state = self.__dict__
    state["span"] = span
    state["name"] = name
    state["arg"] = arg


_SPAN = ("span", None, True)
_INITIALIZERS = {
    (_SPAN, ("args", MISSING, False)): _init_args,
    (_SPAN, ("arg", MISSING, False)): _init_arg,
    (_SPAN, ("name", MISSING, False)): _init_name,
    (_SPAN, ("value", MISSING, False), ("written_one", False, False)): _init_value,
    (_SPAN, ("base", MISSING, False), ("exponent", MISSING, False), ("from_division", False, False)): _init_power,
    (_SPAN, ("base", MISSING, False), ("exponent", MISSING, False)): _init_base_exponent,
    (_SPAN, ("name", MISSING, False), ("arg", MISSING, False)): _init_function,
}


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
    # directly, and until then the class's _hash = None answers.  (An
    # attribute read costs less than self.__dict__.get, and no try/except
    # KeyError: one node in ten is hashed for the first time, and raising
    # costs more.)
    value = self._hash
    if value is None:
        # The class goes in too: x^T, d(x), tr(x) and vec(x) hold the same
        # values, and in one table they would all collide, each look-up of
        # one comparing it with the others.
        value = self.__dict__["_hash"] = hash((self.__class__, self._hashed(self)))
    return value


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
