"""Silent bookkeeping that every rewrite is followed by.

Nothing here is an identity a reader would want to see cited: flattening
nested sums and products, folding numbers, dropping ``0``, ``1`` and ``I``,
``(A^T)^T = A``, and moving scalar factors to the front of a product (they
commute).  Everything that *is* mathematics a reader should see is a rule in
``rules/`` applied by the engine as a recorded step.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from . import ast as A
from .elementwise import SYMPY_FUNCTIONS as SYMPY_FUNCTION_NAMES, rational_value
from .shapes import Dim, TypeEnv


def canon(expr: A.Expr, env: TypeEnv) -> A.Expr:
    cache = env.__dict__.setdefault("_canon_cache", {})
    done = cache.get(expr)
    if done is None:
        kids = A.children(expr)
        if kids:
            expr = A.with_children(expr, [canon(k, env) for k in kids])
        done = _SIMPLIFIERS.get(type(expr), _same)(expr, env)
        cache[expr] = done
        cache[done] = done
    return done


def _same(expr, env):
    return expr


def zero_like(expr: A.Expr, env: TypeEnv) -> A.Expr:
    rows, cols = env.shape(expr)
    if rows.is_one and cols.is_one:
        return A.ZERO
    return A.Zero(rows, cols)


def is_zero(expr: A.Expr) -> bool:
    return isinstance(expr, A.Zero) or (isinstance(expr, A.Number) and expr.value == 0)


def split_coefficient(expr: A.Expr) -> tuple[Fraction, A.Expr | None]:
    """``-2 A B`` → (-2, ``A B``); a bare number → (value, None)."""
    if isinstance(expr, A.Number):
        return expr.value, None
    if isinstance(expr, A.Product) and isinstance(expr.args[0], A.Number):
        rest = expr.args[1:]
        return expr.args[0].value, rest[0] if len(rest) == 1 else A.Product(rest)
    return Fraction(1), expr


def scaled(coefficient: Fraction, expr: A.Expr | None) -> A.Expr:
    if expr is None:
        return A.Number(coefficient)
    if coefficient == 1:
        return expr
    if coefficient == 0:
        return A.ZERO
    rest = expr.args if isinstance(expr, A.Product) else (expr,)
    return A.Product((A.Number(coefficient),) + tuple(rest))


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
    runs, rest, start = [], [], 0
    while start < len(chain):
        end = start
        if env.shape(chain[start])[0].is_one:
            while end < len(chain) and not env.shape(chain[end])[1].is_one:
                end += 1
        whole = start == 0 and end == len(chain) - 1
        if end < len(chain) and env.shape(chain[start])[0].is_one and end > start and not whole:
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


def like_key(term: A.Expr, env: TypeEnv) -> A.Expr:
    """Terms equal up to where their scalar factors stand share a key:
    x x^T x and (x^T x) x are like terms (and compare equal in rules), and
    so are u ⊙ v and v ⊙ u."""
    if isinstance(term, A.Hadamard):
        return A.Hadamard(tuple(sorted(term.args, key=repr)))
    if not isinstance(term, A.Product):
        return term
    scalars, chain = product_atoms(term, env)
    return A.Product(tuple(sorted((_either_way(s, env) for s in scalars), key=repr)) + tuple(chain))


def _either_way(scalar, env):
    """x^T z and z^T x are one number: the one of the two that sorts first."""
    if not isinstance(scalar, A.Product):
        return scalar
    flipped = _product(A.Product(tuple(canon(A.Transpose(f), env) for f in reversed(scalar.args))), env)
    return min(scalar, flipped, key=repr)


# ---------------------------------------------------------------- per node type
def _add(expr: A.Add, env):
    terms: list[A.Expr] = []
    for arg in expr.args:
        terms.extend(arg.args if isinstance(arg, A.Add) else (arg,))
    # Like terms: c1 T + c2 T = (c1 + c2) T, keeping the order of first appearance.
    collected: dict = {}
    shown: dict = {}
    for term in terms:
        if is_zero(term):
            continue
        coefficient, rest = split_coefficient(term)
        key = like_key(rest, env) if rest is not None else None
        shown.setdefault(key, rest)
        collected[key] = collected.get(key, 0) + coefficient
    kept = [scaled(c, shown[key]) for key, c in collected.items() if c != 0]
    kept = _transposes_after(k for k in kept if not is_zero(k))
    # Positive terms first (s - y, not -y + s); otherwise the order is kept.
    kept.sort(key=lambda term: split_coefficient(term)[0] < 0)
    if not kept:
        return zero_like(expr, env)
    if len(kept) == 1:
        return kept[0]
    return A.Add(tuple(kept))


def _transposes_after(terms) -> list:
    """A + A^T, not A^T + A: a term's transpose stands right after it."""
    terms = list(terms)
    twins = {t for t in terms if isinstance(t, A.Transpose) and t.arg in terms}
    ordered = []
    for term in terms:
        if term not in twins:
            ordered.append(term)
            if A.Transpose(term) in twins:
                ordered.append(A.Transpose(term))
    return ordered


def _product(expr: A.Product, env):
    coefficient = Fraction(1)
    scalars: list[A.Expr] = []
    chain: list[A.Expr] = []
    for arg in expr.args:
        if is_zero(arg):
            return zero_like(expr, env)
        if isinstance(arg, A.Number):
            coefficient *= arg.value
            continue
        if isinstance(arg, A.Identity) and arg.size is not None and arg.size.is_one:
            continue
        if isinstance(arg, A.Product):
            inner_coefficient, inner = split_coefficient(arg)
            coefficient *= inner_coefficient
            if inner is None:
                continue
            if env.is_scalar(inner):
                # A scalar sub-product stays one factor: flattening x^T y into a
                # chain could put a 1×1 in the middle of a matrix product.
                if isinstance(inner, A.Product) and all(env.is_scalar(a) for a in inner.args):
                    scalars.extend(inner.args)
                else:
                    scalars.append(inner)
                continue
            for factor in (inner.args if isinstance(inner, A.Product) else (inner,)):
                (scalars if env.is_scalar(factor) else chain).append(factor)
            continue
        (scalars if env.is_scalar(arg) else chain).append(arg)
    if coefficient == 0:
        return zero_like(expr, env)
    if len(chain) > 1:
        chain = [f for f in chain if not isinstance(f, A.Identity)] or chain[:1]
        chain = _merge_ones(chain)
        for counted in [f for f in chain if isinstance(f, (A.DimValue, A.Number))]:
            if isinstance(counted, A.Number):
                coefficient *= counted.value
            else:
                scalars.append(counted)
        chain = [f for f in chain if not isinstance(f, (A.DimValue, A.Number))]
        chain = _merge_powers(chain, env)
        chain, hoisted = _valid_chain(chain, env)
        scalars.extend(hoisted)
    scalars = _combine_powers(scalars, env)
    compound = [s for s in scalars if isinstance(s, A.Product)]
    if not chain and len(compound) == 1:
        # β (y^T x) is just β y^T x: with no matrix chain around it nothing can break.
        inner = compound[0].args
        chain = [a for a in inner if not env.is_scalar(a)]
        scalars = _combine_powers([s for s in scalars if s is not compound[0]]
                                  + [a for a in inner if env.is_scalar(a)], env)
    factors = scalars + chain
    if not factors:
        return A.Number(coefficient)
    if coefficient != 1:
        factors.insert(0, A.Number(coefficient))
    if len(factors) == 1:
        return factors[0]
    return A.Product(tuple(factors))


def _combine_powers(scalars, env):
    """a a^{-1} = 1, a^2 a = a^3: scalar factors with one base share an exponent."""
    exponents: dict = {}
    for factor in scalars:
        base, exponent = factor, Fraction(1)
        if isinstance(factor, A.Power) and isinstance(factor.exponent, A.Number):
            base, exponent = factor.base, factor.exponent.value
        exponents[base] = exponents.get(base, 0) + exponent
    if len(exponents) == len(scalars):
        return scalars
    return [_power(A.Power(base, A.Number(e)), env) if e != 1 else base
            for base, e in exponents.items() if e != 0]


def _valid_chain(chain, env):
    """s^T q v is (s^T q) v: where neighbours do not fit as matrices, the 1×1
    run before (or after) the seam is a scalar and stands in front."""
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
    merged, identity = [], None
    for factor in chain:
        base, exponent = _as_power(factor)
        if merged and exponent is not None and _as_power(merged[-1])[0] == base \
                and base is not None:
            total = _as_power(merged[-1])[1] + exponent
            if total == 0:
                merged.pop()                             # X^{-1} X = I
                identity = A.Identity(env.shape(base)[0])
            else:
                merged[-1] = _power(A.Power(base, A.Number(total)), env)
        else:
            merged.append(factor)
    return merged or ([identity] if identity is not None else [])


def _as_power(factor):
    """(base, integer exponent) of a chain factor, to merge with an equal neighbour."""
    if isinstance(factor, A.Inverse):
        return factor.arg, -1
    if isinstance(factor, A.Power) and isinstance(factor.exponent, A.Number) \
            and factor.exponent.value.denominator == 1:
        if isinstance(factor.base, A.Inverse):
            return factor.base.arg, -int(factor.exponent.value)
        return factor.base, int(factor.exponent.value)
    if isinstance(factor, (A.Ones, A.Identity, A.Zero)):
        return None, None
    return factor, 1


def _merge_ones(chain):
    """1 1^T is the all-ones matrix: adjacent ones vectors merge."""
    merged = [chain[0]]
    for factor in chain[1:]:
        last = merged[-1]
        if isinstance(last, A.Ones) and isinstance(factor, A.Ones) and last.cols.is_one \
                and factor.rows.is_one:
            merged[-1] = A.Ones(last.rows, factor.cols)
        elif isinstance(last, A.Ones) and isinstance(factor, A.Ones) and last.rows.is_one \
                and factor.cols.is_one and last.cols == factor.rows:
            merged[-1] = _dimension(last.cols)              # 1^T 1 = n
        else:
            merged.append(factor)
    return merged


def _ones(expr, env):
    if expr.rows is not None and expr.rows.is_one and expr.cols.is_one:
        return A.ONE if isinstance(expr, A.Ones) else A.ZERO      # 1×1: the number
    return expr


def _diag(expr: A.Diag, env):
    if is_zero(expr.arg):
        return zero_like(expr, env)
    if isinstance(expr.arg, A.Identity):
        return A.Ones(expr.arg.size, Dim())          # the diagonal of I is all ones
    if isinstance(expr.arg, A.Diag) and env.is_vector(expr.arg.arg):
        return expr.arg.arg                          # diag(diag(v)) = v
    if isinstance(expr.arg, A.Ones) and not expr.arg.cols.is_one:
        return A.Ones(expr.arg.rows, Dim())          # so is the diagonal of 1 1^T
    if isinstance(expr.arg, A.Ones) and expr.arg.rows is not None:
        return A.Identity(expr.arg.rows)             # diag(1) = I
    return expr


def _repeated_as_powers(factors, env):
    """x ⊙ x ⊙ x = x .^ 3 (only for a factor repeated three times or more:
    h ⊙ h stays as written)."""
    counts: dict = {}
    for factor in factors:
        counts[factor] = counts.get(factor, 0) + 1
    if all(count < 3 for count in counts.values()):
        return factors
    return [_elem_pow(A.ElemPow(f, A.number(c)), env) if c >= 3 else f
            for f, c in counts.items() for _ in range(1 if c >= 3 else c)]


def _hadamard(expr: A.Hadamard, env):
    if env.is_scalar(expr):
        return _product(A.Product(expr.args), env)
    coefficient = Fraction(1)
    scalars: list[A.Expr] = []
    factors: list[A.Expr] = []
    pending = list(reversed(expr.args))
    while pending:
        part = pending.pop()
        if isinstance(part, A.Hadamard):
            pending.extend(reversed(part.args))
            continue
        if is_zero(part):
            return zero_like(expr, env)
        c, rest = split_coefficient(part)
        coefficient *= c
        if rest is None:
            continue
        if isinstance(rest, A.Hadamard):             # -(u ⊙ v) ⊙ w: the sign out, u ⊙ v in
            pending.extend(reversed(rest.args))
        elif env.is_scalar(rest) and not env.is_scalar(expr):
            scalars.append(rest)
        else:
            factors.append(rest)
    factors = [f for f in factors if not isinstance(f, A.Ones)] or factors[:1]
    factors = _repeated_as_powers(factors, env)
    if not factors:
        inner = A.Ones(*env.shape(expr))
    elif len(factors) == 1:
        inner = factors[0]
    else:
        inner = A.Hadamard(tuple(factors))
    if coefficient == 1 and not scalars:
        return inner
    return _product(A.Product((A.Number(coefficient), *scalars, inner)), env)


def _kron(expr: A.Kron, env):
    coefficient = Fraction(1)
    factors = []
    for arg in expr.args:
        for part in (arg.args if isinstance(arg, A.Kron) else (arg,)):
            if is_zero(part):
                return zero_like(expr, env)
            c, rest = split_coefficient(part)
            coefficient *= c
            if rest is not None and env.is_scalar(rest):
                factors.append(A.Product((rest,)))      # keeps its place; see below
            elif rest is not None:
                factors.append(rest)
    scalars = [f.args[0] for f in factors if isinstance(f, A.Product) and len(f.args) == 1]
    factors = [f for f in factors if not (isinstance(f, A.Product) and len(f.args) == 1)]
    if len(factors) > 1 and all(isinstance(f, A.Identity) for f in factors):
        size = factors[0].size
        for factor in factors[1:]:
            size = size * factor.size
        factors = [A.Identity(size)]                 # I ⊗ I = I
    inner = factors[0] if len(factors) == 1 else A.Kron(tuple(factors)) if factors else A.ONE
    if coefficient == 1 and not scalars:
        return inner
    return _product(A.Product((A.Number(coefficient), *scalars, inner)), env)


def _transpose(expr: A.Transpose, env):
    arg = expr.arg
    if isinstance(arg, A.Transpose):
        return arg.arg
    if env.is_scalar(arg) or isinstance(arg, (A.Identity,)) or env.symmetric(arg):
        return arg
    if isinstance(arg, (A.Ones, A.Zero)):
        return type(arg)(arg.cols, arg.rows)
    if isinstance(arg, A.Commutation):
        return A.Commutation(arg.cols, arg.rows)     # K_{m,n}^T = K_{n,m}
    coefficient, rest = split_coefficient(arg)
    if coefficient != 1 and rest is not None:
        return _product(A.Product((A.Number(coefficient), canon(A.Transpose(rest), env))), env)
    if isinstance(arg, A.Product):
        matrices = [f for f in arg.args if not env.is_scalar(f)]
        if len(matrices) == 1:
            # (c M)^T = c M^T: scalar factors do not care.
            return _product(A.Product(tuple(canon(A.Transpose(f), env) if f is matrices[0] else f
                                            for f in arg.args)), env)
    return expr


def _inverse(expr: A.Inverse, env):
    arg = expr.arg
    if isinstance(arg, A.Inverse):
        return arg.arg
    if isinstance(arg, A.Identity):
        return arg
    if isinstance(arg, A.Transpose):
        # (A^T)^{-1} is printed A^{-T}: keep the transpose outside.
        return A.Transpose(A.Inverse(arg.arg))
    if env.is_scalar(arg):
        return _power(A.Power(arg, A.MINUS_ONE), env)
    if isinstance(arg, A.Product) and any(env.is_scalar(f) for f in arg.args):
        # (c M)^{-1} = c^{-1} M^{-1}
        scalars = [f for f in arg.args if env.is_scalar(f)]
        matrix = A.joined(A.Product, [f for f in arg.args if not env.is_scalar(f)])
        return _product(A.Product(tuple(_power(A.Power(c, A.MINUS_ONE), env) for c in scalars)
                                  + (_inverse(A.Inverse(matrix), env),)), env)
    return expr


def _power(expr: A.Power, env):
    base, exponent = expr.base, expr.exponent
    if not isinstance(exponent, A.Number):
        return expr
    if isinstance(base, A.Zero) and exponent.value > 0:
        return base
    if exponent.value == 1:
        return base
    if exponent.value == 0:
        return A.ONE if env.is_scalar(base) else A.Identity(env.shape(base)[0])
    if isinstance(base, A.Number):
        value = _rational_power(base.value, exponent.value)
        if value is not None:
            return A.Number(value)
    if isinstance(base, A.Power) and isinstance(base.exponent, A.Number) and (
            env.is_scalar(base) or (base.exponent.value.denominator == 1
                                    and exponent.value.denominator == 1)):   # (A^2)^2 = A^4
        return _power(A.Power(base.base, A.Number(base.exponent.value * exponent.value)), env)
    if not env.is_scalar(base) and exponent.value.denominator == 1:
        if isinstance(base, A.Product) and any(env.is_scalar(f) for f in base.args):
            # (c M)^k = c^k M^k
            scalars = [f for f in base.args if env.is_scalar(f)]
            matrices = [f for f in base.args if not env.is_scalar(f)]
            rest = A.joined(A.Product, matrices)
            return _product(A.Product(tuple(_power(A.Power(c, exponent), env) for c in scalars)
                                      + (_power(A.Power(rest, exponent), env),)), env)
    if exponent.value < 0 and not env.is_scalar(base):
        # X^{-k} = (X^{-1})^k: a matrix never stands below a fraction line
        inverse = _inverse(A.Inverse(base), env)
        return inverse if exponent.value == -1 else A.Power(inverse, A.Number(-exponent.value))
    return expr


def _rational_power(base: Fraction, exponent: Fraction) -> Fraction | None:
    """base^exponent when it is rational: 4^{1/2} = 2, 1^{1/3} = 1; not 2^{1/2}."""
    if base == 0 and exponent < 0:
        return None
    if exponent.denominator == 1:
        return base ** int(exponent)
    if base < 0 or max(abs(exponent.numerator), exponent.denominator) > 12:
        return None
    value = sympy.Rational(base.numerator, base.denominator) ** sympy.Rational(
        exponent.numerator, exponent.denominator)
    return Fraction(int(value.p), int(value.q)) if value.is_Rational else None


def _elem_pow(expr: A.ElemPow, env):
    if isinstance(expr.exponent, A.Number) and expr.exponent.value == 1:
        return expr.base
    if is_zero(expr.base) and isinstance(expr.exponent, A.Number) and expr.exponent.value > 0:
        return expr.base
    if env.is_scalar(expr.base):
        return _power(A.Power(expr.base, expr.exponent), env) if isinstance(expr.exponent, A.Number) else expr
    return expr


def _func(expr: A.Func, env):
    """f of a constant matrix c 1 1^T is f(c) 1 1^T: tanh(0) = 0, σ(0) 1 = 1/2 1,
    exp(1 1^T) = exp(1) 1 1^T (a bare 1 inside f(..) would lose its size)."""
    constant = _constant_entries(expr.arg)
    if constant is None or expr.name not in SYMPY_FUNCTION_NAMES:
        return expr
    value = rational_value(expr.name, constant.value) if isinstance(constant, A.Number) else None
    at = A.Number(value) if value is not None else A.Func(expr.name, constant)
    if env.is_scalar(expr):
        return at
    return _product(A.Product((at, A.Ones(*env.shape(expr)))), env)


def _constant_entries(arg) -> A.Expr | None:
    """c for an argument whose entries all equal the symbol-free scalar c."""
    if is_zero(arg):
        return A.ZERO
    if isinstance(arg, A.Ones):
        return A.ONE
    if isinstance(arg, A.Number):
        return arg
    if isinstance(arg, A.Product) and isinstance(arg.args[-1], A.Ones) and not any(
            isinstance(n, (A.Symbol, A.Ones, A.Identity)) for f in arg.args[:-1] for n in A.walk(f)):
        return A.joined(A.Product, arg.args[:-1])
    return None


def _of_zero(expr, env):
    """diag(0), vec(0), tr(0), sum(0), ||0||, det(0): zero."""
    return zero_like(expr, env) if is_zero(expr.arg) else expr


def _counting(expr, env):
    """tr(I) = n, sum(1) = n (a dimension count); mean(1) = 1; tr(-2 I) = -2 n,
    sum(c 1 1^T) = c m n: a bare 1 or I inside would lose its size in print."""
    arg = expr.arg
    if isinstance(arg, A.Product):
        scalars = [f for f in arg.args if env.is_scalar(f)]
        rest = [f for f in arg.args if not env.is_scalar(f)]
        if scalars and len(rest) == 1 and isinstance(rest[0], A.Identity):
            # tr(c I) = c tr(I), whatever the scalar c
            return _product(A.Product((*scalars, canon(type(expr)(rest[0]), env))), env)
    if isinstance(expr, A.Trace) and isinstance(arg, A.Identity) and arg.size is not None:
        return _dimension(arg.size)
    if isinstance(expr, A.Mean) and isinstance(arg, A.Identity) and arg.size is not None:
        return _power(A.Power(_dimension(arg.size), A.MINUS_ONE), env)
    constant = _constant_entries(arg)
    if constant is not None and not is_zero(constant) and not env.is_scalar(arg):
        rows, cols = env.shape(arg)
        count = {A.Sum: rows * cols, A.Mean: Dim(), A.Trace: rows}[type(expr)]
        return _product(A.Product((constant, _dimension(count))), env)
    return _of_zero(expr, env)


def _dimension(dim: Dim) -> A.Expr:
    return A.DimValue(dim) if dim.names else A.Number(Fraction(dim.coef))


def _vec(expr: A.Vec, env):
    if is_zero(expr.arg):
        return zero_like(expr, env)
    rows, cols = env.shape(expr.arg)
    if cols.is_one:
        return expr.arg                              # a vector is its own vec
    if rows.is_one:
        return _transpose(A.Transpose(expr.arg), env)
    return expr


def _unvec(expr: A.Unvec, env):
    if isinstance(expr.arg, A.Vec) and env.shape(expr.arg.arg) == (expr.rows, expr.cols):
        return expr.arg.arg
    if expr.cols.is_one:
        return expr.arg
    if expr.rows.is_one:
        return _transpose(A.Transpose(expr.arg), env)
    return expr


def _commutation(expr: A.Commutation, env):
    if expr.rows.is_one or expr.cols.is_one:
        return A.Identity(expr.rows * expr.cols)     # transposing a vector keeps vec
    return expr


_SIMPLIFIERS = {
    A.Vec: _vec, A.Unvec: _unvec, A.Commutation: _commutation, A.Diag: _diag,
    A.Ones: _ones, A.Zero: _ones,
    A.DimValue: lambda e, env: _dimension(e.dim),
    A.Add: _add, A.Product: _product, A.Hadamard: _hadamard, A.Kron: _kron,
    A.Transpose: _transpose, A.Inverse: _inverse, A.Power: _power, A.ElemPow: _elem_pow,
    A.Func: _func,
    A.Trace: _counting, A.Sum: _counting, A.Mean: _counting, A.Norm: _of_zero, A.Det: _of_zero,
}
