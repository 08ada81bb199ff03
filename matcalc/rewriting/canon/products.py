"""Canonical products: numbers folded, scalars in front, 1×1 seams hoisted,
repeated factors as powers; Hadamard and Kronecker products likewise."""

from __future__ import annotations

from fractions import Fraction

from ...language import ast as A
from ...language.ast import split_coefficient
from ...shapes.env import TypeEnv
from .basics import dimension_value, is_zero, kept_or_new, zero_like
from .dispatch import register, simplify


def product_atoms(expr: A.Product, env: TypeEnv):
    """A product as (scalar factors, matrix chain), every 1×1 run of the chain
    (the y^T x of x y^T x) split off as a scalar: scalars commute, so products
    that group their scalars differently compare equal."""
    scalars, chain = [], []
    for factor in expr.args:
        if isinstance(factor, A.Product):
            inner_scalars, inner_chain = product_atoms(factor, env)
            scalars += inner_scalars
            if env.is_scalar(factor) and inner_chain:
                scalars.append(A.joined(A.Product, inner_chain))
            else:
                chain += inner_chain
        elif env.is_scalar(factor):
            scalars.append(factor)
        else:
            chain.append(factor)
    shapes = [env.shape(factor) for factor in chain]
    length = len(chain)
    runs, rest, start = [], [], 0
    while start < length:
        end = start
        row = shapes[start][0].is_one
        if row:
            while end < length and not shapes[end][1].is_one:
                end += 1
        whole = start == 0 and end == length - 1
        if end < length and row and end > start and not whole:
            runs.append(A.Product(tuple(chain[start:end + 1])))
            start = end + 1
        else:
            rest.append(chain[start])
            start += 1
    scalars += runs
    if scalars and rest and env.shape(rest[0])[0].is_one and env.shape(rest[-1])[1].is_one:
        # What is left is one more 1×1 factor: (y^T dx) 1^T x = (y^T dx)(1^T x).
        scalars.append(A.joined(A.Product, rest))
        rest = []
    return scalars, rest




# Factors a chain may hold that its first steps remove or merge (a chain of
# none, the usual case, skips them: they would leave it as it is).
_COUNTED = frozenset({A.Identity, A.Ones, A.DimValue, A.Number})


@register(A.Product)
def _product(expr: A.Product, env):
    one = coefficient = A.ONE.value
    is_scalar, shape_of = env.is_scalar, env.shape
    scalars: list[A.Expr] = []
    chain: list[A.Expr] = []
    shapes = []                 # of the chain's factors, for _valid_chain
    for arg in expr.args:
        kind = type(arg)
        if kind is A.Number:
            if arg.value == 0:
                return zero_like(expr, env)
            # The first number is the coefficient as it stands (1 times it is
            # itself): the factor can stay the very node, and Fractions are slow.
            coefficient = arg.value if coefficient is one and type(arg.value) is Fraction \
                else coefficient * arg.value
            continue
        if kind is A.Zero:
            return zero_like(expr, env)
        if kind is A.Identity and arg.size is not None and arg.size.is_one:
            continue
        if kind is A.Product:
            inner_coefficient, inner = split_coefficient(arg)
            if inner_coefficient is not one:
                coefficient = inner_coefficient if coefficient is one and type(inner_coefficient) is Fraction \
                    else coefficient * inner_coefficient
            if inner is None:
                continue
            if is_scalar(inner):
                # A scalar sub-product stays one factor: flattening x^T y into a
                # chain could put a 1×1 in the middle of a matrix product.
                if isinstance(inner, A.Product) and all(is_scalar(a) for a in inner.args):
                    scalars.extend(inner.args)
                else:
                    scalars.append(inner)
                continue
            for factor in (inner.args if isinstance(inner, A.Product) else (inner,)):
                if is_scalar(factor):
                    scalars.append(factor)
                else:
                    chain.append(factor)
                    shapes.append(shape_of(factor))
            continue
        shape = shape_of(arg)
        if shape[0].is_one and shape[1].is_one:
            scalars.append(arg)
        else:
            chain.append(arg)
            shapes.append(shape)
    if coefficient is not one and coefficient == 0:
        return zero_like(expr, env)
    if len(chain) > 1:
        if not _COUNTED.isdisjoint(map(type, chain)):
            chain = [f for f in chain if not isinstance(f, A.Identity)] or chain[:1]
            chain = _merge_ones(chain)
            for counted in [f for f in chain if isinstance(f, (A.DimValue, A.Number))]:
                if isinstance(counted, A.Number):
                    coefficient *= counted.value
                else:
                    scalars.append(counted)
            chain = [f for f in chain if not isinstance(f, (A.DimValue, A.Number))]
            shapes = [shape_of(f) for f in chain]
        # Scalar seams first: in c^T x x the run c^T x is a number, and what
        # is left, x, is no square factor to raise to a power.
        chain, hoisted = _valid_chain(chain, env, shapes)
        chain = _merge_powers(chain, env)
        scalars.extend(hoisted)
    if scalars:
        if len(scalars) > 1:
            scalars = _combine_powers(scalars, env)
        # (the kinds asked once, in C: most scalars hold no product and no number)
        kinds = set(map(type, scalars))
        compound = [s for s in scalars if type(s) is A.Product] if A.Product in kinds and not chain else ()
        if len(compound) == 1:
            # β (y^T x) is just β y^T x: with no matrix chain around it nothing can break.
            inner = compound[0].args
            chain = [a for a in inner if not is_scalar(a)]
            scalars = _combine_powers([s for s in scalars if s is not compound[0]]
                                      + [a for a in inner if is_scalar(a)], env)
            kinds = set(map(type, scalars))
        numbers = [s for s in scalars if type(s) is A.Number] if A.Number in kinds else ()
        if numbers:
            # Powers combined into a number (x^{10/3} x^{5/3} = x^5 for a number x)
            # join the coefficient: a product holds one number, in front.
            for number in numbers:
                coefficient *= number.value
            if coefficient == 0:
                return zero_like(expr, env)
            scalars = [s for s in scalars if not isinstance(s, A.Number)]
    factors = scalars + chain
    if not factors:
        return A.Number(coefficient)
    if coefficient is not one and coefficient != 1:
        first = expr.args[0]
        factors.insert(0, first if type(first) is A.Number and first.value is coefficient else A.Number(coefficient))
    if len(factors) == 1:
        return factors[0]
    return kept_or_new(expr, factors)


def _combine_powers(scalars, env):
    """a a^{-1} = 1, a^2 a = a^3: scalar factors with one base share an exponent."""
    if len(scalars) < 2:
        return scalars
    bases = [f.base if isinstance(f, A.Power) and isinstance(f.exponent, A.Number) else f for f in scalars]
    if len(set(bases)) == len(bases):
        return scalars                      # the usual case, without Fraction arithmetic
    exponents: dict = {}
    for factor in scalars:
        base, exponent = factor, Fraction(1)
        if isinstance(factor, A.Power) and isinstance(factor.exponent, A.Number):
            base, exponent = factor.base, factor.exponent.value
        exponents[base] = exponents.get(base, 0) + exponent
    if len(exponents) == len(scalars):
        return scalars
    return [simplify(A.Power(base, A.Number(e)), env) if e != 1 else base
            for base, e in exponents.items() if e != 0]


def _valid_chain(chain, env, shapes):
    """s^T q v is (s^T q) v: where neighbours do not fit as matrices, the 1×1
    run before (or after) the seam is a scalar and stands in front
    (``shapes``: of the chain's factors)."""
    for left, right in zip(shapes, shapes[1:]):
        if left[1] is not right[0] and left[1] != right[0]:
            break
    else:
        return chain, []                            # every neighbour fits: the usual chain
    hoisted = []
    index = 0
    while index < len(chain) - 1:
        if env.shape(chain[index])[1] == env.shape(chain[index + 1])[0]:
            index += 1
            continue
        run = _scalar_run_ending(chain, index, env) or _scalar_run_starting(chain, index + 1, env)
        if run is None:
            break                                   # not a scalar seam: leave it to the shapes
        start, end = run
        hoisted.append(A.Product(tuple(chain[start:end + 1])))
        chain = chain[:start] + chain[end + 1:]
        index = max(start - 1, 0)
    return chain, hoisted


def _scalar_run_ending(chain, end, env):
    if not env.shape(chain[end])[1].is_one:
        return None
    for start in range(end, -1, -1):
        if env.shape(chain[start])[0].is_one:
            return (start, end) if start < end else None
    return None


def _scalar_run_starting(chain, start, env):
    if not env.shape(chain[start])[0].is_one:
        return None
    for end in range(start, len(chain)):
        if env.shape(chain[end])[1].is_one:
            return (start, end) if start < end else None
    return None


def _merge_powers(chain, env):
    """S S S = S^3 and S^{-1} S^{-1} = S^{-2}: runs of one square factor."""
    previous = None
    for factor in chain:
        kind = type(factor)
        if kind is A.Inverse or kind is A.Power or (kind is type(previous) and (
                factor is previous or (factor.name == previous.name if kind is A.Symbol else factor == previous))):
            break               # (two symbols are compared by name, without the node's __eq__)
        previous = factor
    else:
        return chain            # no power, no inverse, no factor twice in a row: nothing merges (the usual chain)
    merged, powers, identity = [], [], None          # powers[i] is _as_power(merged[i])
    for factor in chain:
        base, exponent = _as_power(factor)
        if merged and exponent is not None:
            previous = powers[-1][0]
            # (the same object, or an equal node of the same type: most neighbours are neither)
            if (previous is base or (type(previous) is type(base) and previous == base)) \
                    and env.is_square(base):                   # only a square matrix has powers
                total = powers[-1][1] + exponent
                if total == 0:
                    merged.pop()                             # X^{-1} X = I
                    powers.pop()
                    identity = A.Identity(env.shape(base)[0])
                else:
                    merged[-1] = simplify(A.Power(base, A.Number(total)), env)
                    powers[-1] = _as_power(merged[-1])
                continue
        merged.append(factor)
        powers.append((base, exponent))
    return merged or ([identity] if identity is not None else [])


def _as_power(factor):
    """(base, integer exponent) of a chain factor, to merge with an equal neighbour."""
    kind = type(factor)
    if kind is A.Inverse:
        return factor.arg, -1
    if kind is A.Power:
        if isinstance(factor.exponent, A.Number) and factor.exponent.value.denominator == 1:
            if isinstance(factor.base, A.Inverse):
                return factor.base.arg, -int(factor.exponent.value)
            return factor.base, int(factor.exponent.value)
        return factor, 1
    if kind is A.Ones or kind is A.Identity or kind is A.Zero:
        return None, None
    return factor, 1


def _merge_ones(chain):
    """1 1^T is the all-ones matrix, and all-ones matrices multiply by
    counting: (1_r 1_k^T)(1_k 1_c^T) = k 1_r 1_c^T, so 1^T 1 = n and 1 1^T 1 = n 1
    (rule ones-inner of rules/canonical.rules, checked numerically there)."""
    merged = [chain[0]]
    for factor in chain[1:]:
        last = merged[-1]
        if not (isinstance(last, A.Ones) and isinstance(factor, A.Ones) and last.cols == factor.rows):
            merged.append(factor)
            continue
        ones = A.Ones(last.rows, factor.cols)
        whole = [] if ones.rows.is_one and ones.cols.is_one else [ones]
        merged[-1:] = ([] if last.cols.is_one else [dimension_value(last.cols)]) + whole
        if not merged:
            merged = [A.ONE]
    return merged


def _repeated_as_powers(factors, env):
    """x ⊙ x ⊙ x = x .^ 3 (only for a factor repeated three times or more:
    h ⊙ h stays as written)."""
    counts: dict = {}
    for factor in factors:
        counts[factor] = counts.get(factor, 0) + 1
    if all(count < 3 for count in counts.values()):
        return factors
    return [simplify(A.ElemPow(f, A.number(c)), env) if c >= 3 else f
            for f, c in counts.items() for _ in range(1 if c >= 3 else c)]


def _flat_parts(expr, env):
    """(number, scalar parts, other parts) of an entrywise or Kronecker product,
    a nested product of the same kind flattened, also behind a number
    (-(u ⊙ v) ⊙ w, (1/2 (v ⊗ h^T)) ⊗ M); None when a part is zero."""
    kind = type(expr)
    one = coefficient = A.ONE.value     # (shared: Fractions are immutable, and most parts have no number)
    scalars: list[A.Expr] = []
    factors: list[A.Expr] = []
    pending = list(reversed(expr.args))
    while pending:
        part = pending.pop()
        if isinstance(part, kind):
            pending.extend(reversed(part.args))
            continue
        if is_zero(part):
            return None
        c, rest = split_coefficient(part)
        if c is not one:
            coefficient = c if coefficient is one and type(c) is Fraction else coefficient * c
        if rest is None:
            continue
        if isinstance(rest, kind):
            pending.extend(reversed(rest.args))
        elif env.is_scalar(rest):
            scalars.append(rest)
        else:
            factors.append(rest)
    return coefficient, scalars, factors


@register(A.Hadamard)
def _hadamard(expr: A.Hadamard, env):
    if env.is_scalar(expr):
        return simplify(A.Product(expr.args), env)
    parts = _flat_parts(expr, env)
    if parts is None:
        return zero_like(expr, env)
    coefficient, scalars, factors = parts
    factors = [f for f in factors if not isinstance(f, A.Ones)] or factors[:1]
    factors = _repeated_as_powers(factors, env)
    if not factors:
        inner = A.Ones(*env.shape(expr))
    elif len(factors) == 1:
        inner = factors[0]
    else:
        inner = kept_or_new(expr, factors)
    if (coefficient is A.ONE.value or coefficient == 1) and not scalars:
        return inner
    return simplify(A.Product((A.Number(coefficient), *scalars, inner)), env)


@register(A.Kron)
def _kron(expr: A.Kron, env):
    parts = _flat_parts(expr, env)
    if parts is None:
        return zero_like(expr, env)
    coefficient, scalars, factors = parts
    if len(factors) > 1 and all(isinstance(f, A.Identity) for f in factors):
        size = factors[0].size
        for factor in factors[1:]:
            size = size * factor.size
        factors = [A.Identity(size)]                 # I ⊗ I = I
    inner = factors[0] if len(factors) == 1 else kept_or_new(expr, factors) if factors else A.ONE
    if (coefficient is A.ONE.value or coefficient == 1) and not scalars:
        return inner
    return simplify(A.Product((A.Number(coefficient), *scalars, inner)), env)


