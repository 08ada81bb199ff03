"""Canonical sums: flattened, like terms collected, positive terms first."""

from __future__ import annotations

from ...language import ast as A
from ...language.ast import scaled, split_coefficient
from ...shapes.env import TypeEnv
from .basics import is_zero, kept_or_new, zero_like
from .dispatch import canon, register, simplify
from .products import product_atoms


def like_key(term: A.Expr, env: TypeEnv) -> A.Expr:
    """Terms equal up to where their scalar factors stand share a key:
    x x^T x and (x^T x) x are like terms (and compare equal in rules), and
    so are u ⊙ v and v ⊙ u.  Memoized per problem: a sum is put into
    canonical form again after each change to one of its terms."""
    return env.memoized("like_key", term, _like_key)


def _like_key(term: A.Expr, env: TypeEnv) -> A.Expr:
    if isinstance(term, A.Hadamard):
        return A.Hadamard(tuple(sorted(term.args, key=A.order_key)))
    if not isinstance(term, A.Product):
        return term
    scalars, chain = product_atoms(term, env)
    if not scalars and A.same_objects(chain, term.args):
        return term             # its own key (no scalar to move): the node already made, its hash known
    scalars = [either_way(s, env) for s in scalars]
    if len(scalars) > 1:                # (one needs no order key, which a new node computes for its whole tree)
        scalars.sort(key=A.order_key)
    return A.Product(tuple(scalars) + tuple(chain))


def either_way(scalar, env):
    """x^T z and z^T x are one number: the one of the two that sorts first."""
    if not isinstance(scalar, A.Product):
        return scalar
    flipped = simplify(A.Product(tuple(canon(A.Transpose(f), env) for f in reversed(scalar.args))), env)
    return min(scalar, flipped, key=A.order_key)


# ---------------------------------------------------------------- per node type
@register(A.Add)
def _add(expr: A.Add, env):
    terms: list[A.Expr] = []
    for arg in expr.args:
        terms.extend(arg.args if isinstance(arg, A.Add) else (arg,))
    # Like terms: c1 T + c2 T = (c1 + c2) T, keeping the order of first appearance.
    collected: dict = {}        # like key → [coefficient, the first term's rest, the term if it stands alone]
    keys = env.memo_for("like_key")             # (like_key's own table, asked directly)
    for term in terms:
        if is_zero(term):
            continue
        coefficient, rest = split_coefficient(term)
        key = None
        if rest is not None:
            key = keys.get(rest)
            if key is None:
                key = keys[rest] = _like_key(rest, env)
        entry = collected.get(key)
        if entry is None:
            collected[key] = [coefficient, rest, term]
        else:
            entry[0] += coefficient
            entry[2] = None
    one = A.ONE.value
    kept = []
    for c, rest, term in collected.values():
        if c is one and rest is not None:
            kept.append(rest)                   # a plain term, alone (scaled(1, T) is T)
        elif c != 0:
            kept.append(_alone(term, c) or scaled(c, rest))
    kept = _transposes_after(k for k in kept if not is_zero(k))
    if len(kept) > 1:
        # Positive terms first (s - y, not -y + s); otherwise the order is kept.
        kept.sort(key=_negative)
    if not kept:
        return zero_like(expr, env)
    if len(kept) == 1:
        return kept[0]
    return kept_or_new(expr, kept)


def _alone(term, coefficient):
    """A term with no like term, when it is already what ``scaled`` would make
    of it again (2 A B, not A or 1 A or 2 (A B)): the very node, which
    lets an unchanged sum stay the node it was."""
    if term is not None and coefficient != 1 and type(term) is A.Product and \
            not (len(term.args) == 2 and type(term.args[1]) is A.Product):
        return term
    return None


def _negative(term) -> bool:
    """Whether the coefficient split_coefficient reads is negative (without
    splitting, and no Fraction arithmetic for a term without a number)."""
    kind = type(term)
    if kind is A.Product:
        first = term.args[0]
        return type(first) is A.Number and first.value < 0
    return kind is A.Number and term.value < 0


def _transposes_after(terms) -> list:
    """A + A^T, not A^T + A: a term's transpose stands right after it."""
    terms = list(terms)
    if A.Transpose not in set(map(type, terms)):
        return terms
    present = set(terms)
    twins = {t for t in terms if isinstance(t, A.Transpose) and t.arg in present}
    if not twins:
        return terms
    ordered = []
    for term in terms:
        if term not in twins:
            ordered.append(term)
            if A.Transpose(term) in twins:
                ordered.append(A.Transpose(term))
    return ordered


