"""Frozen dataclasses made as fast as plain objects (issue 24, the floor).

A frozen dataclass's own ``__init__`` sets each field through
``object.__setattr__``, a call per field: a declaration, a clause, the typed
input and the problem are made at every reading, and their ten-field
``__init__`` cost more than the work around them.  ``quick_init`` gives the
class an ``__init__`` that writes the instance dict at once, as the node
classes do (``node_class``), taking the arguments the dataclass's own takes.
Equality, hashing, order, ``repr`` and ``replace`` stay the dataclass's.
"""

from __future__ import annotations

from dataclasses import MISSING, fields


def quick_init(cls):
    """Decorator, over ``@dataclass(frozen=True)``: the same arguments (positional
    in field order, or by name), defaults and ``__post_init__``, and a TypeError
    for a call the dataclass's own would refuse."""
    every = fields(cls)
    if any(not f.init or f.kw_only or f.default_factory is not MISSING for f in every):
        raise TypeError(f"{cls.__name__}: quick_init takes plain fields with plain defaults")
    names = tuple(f.name for f in every)
    known = frozenset(names)
    defaults = {f.name: f.default for f in every if f.default is not MISSING}
    required = tuple(f.name for f in every if f.default is MISSING)   # (the first fields: dataclass's rule)
    post_init = getattr(cls, "__post_init__", None)

    def __init__(self, *args, **given):
        count = len(args)
        if count > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} arguments but {count} were given")
        state = self.__dict__
        state.update(defaults)
        state.update(zip(names, args))
        if given:
            if not known.issuperset(given) or not given.keys().isdisjoint(names[:count]):
                raise TypeError(f"{cls.__name__}() got an unexpected keyword argument or one given twice: "
                                f"{', '.join(sorted(given))}")
            state.update(given)
        if count < len(required) and not given.keys() >= set(required[count:]):
            raise TypeError(f"{cls.__name__}() missing required arguments: {', '.join(required[count:])}")
        if post_init is not None:
            post_init(self)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = __init__
    return cls
