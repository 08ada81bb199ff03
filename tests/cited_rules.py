"""Which catalog rule a step cites applies to the line before it (issue 23):
the helpers of tests/test_step_replay.py, and the example lines known not
to pass that check yet."""

from __future__ import annotations

from functools import partial
from itertools import combinations

from matcalc.calculus.elementwise import derivative
from matcalc.calculus.steps import DIFFERENTIAL, VALUE
from matcalc.calculus.strategy import ENGINE_STEPS
from matcalc.calculus.trace_method import push_transposes
from matcalc.errors import MatcalcError
from matcalc.language import ast as A
from matcalc.shapes import dims
from matcalc.language.names import split_error_name
from matcalc.rewriting.canon import canon
from matcalc.rewriting.engine import Context, _shapes_fit, _sizes_fit, instantiate, rewrite
from matcalc.rewriting.match import matches

STARTS = {"definition", "backprop", "gradient"}          # as test_step_replay's
UNAPPLIED = "none of"
# engine steps whose cited rules rewrite what the step builds, not the line
# before: the δ's written out, the gradient's transpose
COMPOSITE = {"closed-form", "numerator-layout", "symmetric-gradient"}

# Every line of every example, random expression and textbook program
# applies a rule it cites (issue 23).  A rule whose lines may not yet would be
# listed here; the list is empty and may only stay so.
OPEN_RULES: set[str] = set()


def source_of(step, label, last, data):
    """The line a step rewrites: the last about its label, or what its label's
    first line is the differential of (d(l), d(the definition of a name))."""
    if step.rule in STARTS or step.relation != "=":
        return None
    if step.rule in COMPOSITE:
        return None
    if label in last:
        return last[label]
    if label.kind != DIFFERENTIAL or label.function_is_matrix:
        return None
    value = next((expr for other, expr in last.items() if other.kind == VALUE and other.function == label.function), None)
    if value is not None:
        return A.Differential(value)
    definition = dict(data.names).get(label.function)
    return None if definition is None else A.Differential(definition)


def a_cited_rule_applies(step, source, data, catalog) -> bool:
    """At least one catalog rule the step cites rewrites ``source`` (the
    engine's matcher, on the canonical form); a step citing none is not asked."""
    cited = tuple(rule for rule in step.rules if rule in catalog and rule not in ENGINE_STEPS)
    if not cited:
        return True
    varying = set(data.variables)
    for name, definition in data.names:          # in order: a name of constants is constant (g2 = 0.5 s)
        if not split_error_name(name) and A.symbol_names(definition) & varying:
            varying.add(name)
    context = Context(data.env, lambda e: not (A.symbol_names(e) & varying), catalog, derivative)
    forms = [source] + ([A.Vec(source)] if step.label.function_is_matrix else [])   # vec(dF) = J vec(dX)
    forms = [canon(form, data.env) for form in forms]
    forms += [split for split in (_powers_split(form, data.env) for form in forms) if split not in forms]
    forms += [split for split in map(_negatives_split, forms) if split not in forms]
    return any(_matches_somewhere(rule, form, context) for form in forms for rule in cited)


def _negatives_split(expr):
    """A negative number among a sum's terms written -1 times its size (canon
    writes -1 · 1 as -1), where a rule subtracts ?B: θ - 1 is θ - ?B, ?B = 1."""
    kids = A.children(expr)
    if kids:
        expr = A.with_children(expr, [_negatives_split(kid) for kid in kids])
    if isinstance(expr, A.Add):
        return A.Add(tuple(A.Product((A.MINUS_ONE, A.Number(-term.value)))
                           if isinstance(term, A.Number) and term.value < 0 else term for term in expr.args))
    return expr


def _powers_split(expr, env):
    """X^k written X X^{k-1} (canon's silent power-product read backwards),
    where d-matrix-power cuts it for d-product: d(W^3) is d(W W^2)."""
    kids = A.children(expr)
    if kids:
        expr = A.with_children(expr, [_powers_split(kid, env) for kid in kids])
    if isinstance(expr, A.Product) and any(isinstance(arg, A.Product) for arg in expr.args):
        # a split power among factors stands flat: K^2 vec(M) is K K vec(M) (commutation-vec)
        expr = A.Product(tuple(f for arg in expr.args for f in (arg.args if isinstance(arg, A.Product) else (arg,))))
    if isinstance(expr, A.Power) and not env.is_scalar(expr.base) and isinstance(expr.exponent, A.Number) \
            and expr.exponent.value.denominator == 1 and expr.exponent.value >= 2:
        k = int(expr.exponent.value)
        return A.Product((expr.base, expr.base if k == 2 else A.Power(expr.base, A.number(k - 1))))
    return expr


def _matches_somewhere(rule, expr, context) -> bool:
    """The rule's left side matches a node of ``expr``, a run of adjacent
    factors of a product or of an entrywise product, or two terms of a sum (where the engine applies it),
    its where-clause and shapes satisfied; whether the canonical form of its
    right side looks different is not asked (tr(u^T v) = tr(v^T u) does not)."""
    for node in A.walk(expr):
        candidates = [node]
        if isinstance(node, A.Product):
            n = len(node.args)
            runs = [A.Product(node.args[i:j]) for i in range(n) for j in range(i + 2, n + 1) if j - i < n]
            candidates += runs + _vectors_as_vecs(node, runs, context.env)
        elif isinstance(node, A.Hadamard):        # a run of a flat ⊙ (A ⊙ (B + C) ⊙ D: (B + C) ⊙ D)
            n = len(node.args)
            candidates += [A.Hadamard(node.args[i:j]) for i in range(n) for j in range(i + 2, n + 1) if j - i < n]
        elif isinstance(node, A.Add):
            candidates += [A.Add(pair) for pair in combinations(node.args, 2)] + _shared_scalar_in_front(node, context.env)
        if context.env.is_vector(node):
            candidates.append(A.Vec(node))      # vec-vector: a vector is its own vec
        if any(map(partial(_applies, rule, context=context), candidates)):
            return True
    return False


def _applies(rule, candidate, context) -> bool:
    try:
        return rewrite(rule, candidate, context) is not None or _as_canon_writes_it(rule, candidate, context)
    except MatcalcError:                # a reading whose shapes do not fit (vec(v^T) of a v^T)
        return False


def _vectors_as_vecs(product, runs, env) -> list:
    """The product read as the vec method's rules read it, each reading
    checked by canon as every candidate is: a vector is its own vec
    (vec-vector, vec-row, silent), so a run of factors that is a vector v may
    stand as vec(v), vec(v^T) or, for v = u^T, vec(u) ((x ⊗ I) X^{-1} a is
    (x ⊗ I) vec(X^{-1} a), a^T dX b is a^T vec(dX b)), vec(M) as vec(vec(M)), a scalar run s may stand
    as vec(I_1 s) (the vec method's dw^T x = x^T dw); a column of ones after
    diag(vec(M)) is vec(1 1^T), M's shape (hadamard-ones), and after A ⊗ B
    vec(1 1^T) of B's columns by A's, and after K_{m,n} vec(1 1^T), m × n; K_{m,n} before
    vec(M) is the rules' commutation(M, M^T).  Each reading, and its runs."""
    n, args = len(product.args), product.args
    readings = []
    for i in range(n):
        for j in range(i + 1, n + 1):
            run = A.joined(A.Product, args[i:j])
            if j - i > 1 and env.is_scalar(run):
                # a scalar is its own vec, and I_1 its identity: dw^T x is vec(I_1 dw^T x) for vec-kron
                readings.append(args[:i] + (A.Vec(A.Product((A.Identity(dims.ONE),) + args[i:j])),) + args[j:])
            if not env.is_vector(run):
                continue
            if isinstance(run, A.Vec):      # vec(M) is its own vec: ((A w) ⊗ I_mp) vec(M) for kron-vec, M p×m
                readings.append(args[:i] + (A.Vec(run),) + args[j:])
                continue
            as_vecs = [A.Vec(run), A.Vec(run.arg if isinstance(run, A.Transpose) else A.Transpose(run))]
            readings += [args[:i] + (vec,) + args[j:] for vec in as_vecs]
    for i in range(n - 1):
        first, second = args[i], args[i + 1]
        if isinstance(first, A.Diag) and isinstance(first.arg, A.Vec) and isinstance(second, A.Ones) \
                and env.is_vector(second):
            rows, cols = env.shape(first.arg.arg)
            ones = A.Vec(A.Product((A.Ones(rows, dims.ONE), A.Ones(dims.ONE, cols))))
            readings.append(args[:i + 1] + (ones,) + args[i + 2:])
        if isinstance(first, A.Kron) and len(first.args) == 2 and isinstance(second, A.Ones) and env.is_vector(second):
            (_, cols), (_, rows) = (env.shape(part) for part in first.args)      # (A ⊗ B) vec(X): X is B's cols × A's
            ones = A.Vec(A.Product((A.Ones(rows, dims.ONE), A.Ones(dims.ONE, cols))))
            readings.append(args[:i + 1] + (ones,) + args[i + 2:])
        if isinstance(first, A.Commutation) and isinstance(second, A.Ones) and env.is_vector(second):
            ones = A.Product((A.Ones(first.rows, dims.ONE), A.Ones(dims.ONE, first.cols)))   # K_{m,n} 1: vec(1 1^T), m × n
            written = A.Func("commutation", A.Kron((ones, A.Transpose(ones))))
            readings.append(args[:i] + (written, A.Vec(ones)) + args[i + 2:])
        if isinstance(first, A.Commutation) and isinstance(second, A.Vec) \
                and A.Commutation(*env.shape(second.arg)) == first:
            written = A.Func("commutation", A.Kron((second.arg, A.Transpose(second.arg))))
            readings.append(args[:i] + (written,) + args[i + 1:])
    return [A.joined(A.Product, reading[i:j]) for reading in readings
            for i in range(len(reading)) for j in range(i + 1, len(reading) + 1)]


def _shared_scalar_in_front(node, env) -> list:
    """The sum with a scalar factor every term shares moved to the front of
    each term (scalars commute: 16/3 k^4 tr(Y)^2 σ(k) is tr(Y)^2 16/3 k^4 σ(k)),
    where factor-scalar's ?c ?A + ?c ?B looks for it; a term that is the
    factor alone is the factor times 1 (1 / e - λ / e: ?A = 1, ?B = -λ; δa2 + δa2 θ:
    ?A = 1, ?B = θ), the factor in front already or not."""
    terms = [term.args if isinstance(term, A.Product) else (term,) for term in node.args]
    moved = []
    for factor in dict.fromkeys(terms[0]):
        if env.is_scalar(factor) and all(factor in term for term in terms) \
                and any(term[0] != factor or len(term) == 1 for term in terms) and any(len(term) > 1 for term in terms):
            moved.append(A.Add(tuple(A.Product((factor,) + (_without(term, factor) or (A.ONE,))) for term in terms)))
    return moved


def _without(factors, factor) -> tuple:
    index = factors.index(factor)
    return factors[:index] + factors[index + 1:]


# The engine compares a rule's left side with the line in canonical form
# (rewrite_with: canon(the left side instantiated) == canon(the line)), and
# the canonical form applies the silent rules of rules/canonical.rules, each
# checked numerically: (?A^T)^T = ?A, c^T = c, (c A)^T = c A^T, S^T = S for a
# symmetric S (so ?A^T is any matrix E, with ?A = E^T), I A = A = A I (so a
# factor of a product may be the identity: vec(dW x) is vec(I dW x)), vec(v) = v
# (above).  The engine's syntactic matcher cannot undo them; these bindings
# are offered to the same exact test, never the looser comparison form.
TRANSPOSED = "ᵀ"


def _as_canon_writes_it(name, candidate, context) -> bool:
    """Bindings under which the rule's left side, instantiated and put in
    canonical form, is exactly ``candidate``'s canonical form."""
    rule, env = context.rule(name), context.env
    try:
        target = canon(candidate, env)
    except MatcalcError:                                # a slice the shapes refuse
        return False
    for pattern, identities, read_as_transposes in _relaxed(rule.pattern):
        for found in matches(pattern, candidate, {}, lambda *_: True):
            bindings = _restored(rule, found, identities, context, read_as_transposes)
            if bindings is None:
                continue
            try:
                if canon(instantiate(rule, rule.lhs, bindings, context), env) != target:
                    continue
                # an identity factor must make the rule do something
                if not identities or canon(instantiate(rule, rule.rhs, bindings, context), env) != target:
                    return True
            except MatcalcError:                       # bindings whose shapes do not fit
                continue
    return False


def _relaxed(pattern):
    """The pattern with some of its ?A^T free variables, and the variants with
    the first or last operand of a product left out (bound to the identity);
    (pattern, identities, whether each ?A^T must read as a transpose).  One
    with only variables left under its root would match anything (?A^T + ?B^T
    any sum, d(?A ?B) with ?A = I any d(.)): never with an identity, and with
    free ?A^T only where each binding reads as a transpose (_restored)."""
    names = sorted({node.arg.name for node in A.walk(pattern)
                    if isinstance(node, A.Transpose) and isinstance(node.arg, A.PatternVar)})
    for count in range(len(names) + 1):
        for chosen in combinations(names, count):
            base = _untransposed(pattern, set(chosen))
            if chosen:
                yield base, (), _vacuous(base)
            yield from _with_an_identity(base, bool(chosen) and _vacuous(base))


def _untransposed(node, names):
    if isinstance(node, A.Transpose) and isinstance(node.arg, A.PatternVar) and node.arg.name in names:
        return A.PatternVar(node.arg.name + TRANSPOSED)
    kids = A.children(node)
    return A.with_children(node, [_untransposed(k, names) for k in kids]) if kids else node


def _vacuous(pattern) -> bool:
    return all(isinstance(kid, A.PatternVar) for kid in A.children(pattern))


def _with_an_identity(base, read_as_transposes):
    for node in A.walk(base):
        if not isinstance(node, A.Product):
            continue
        for index in (0, len(node.args) - 1):           # an end: vec(dW x) = vec(I dW x)
            operand = node.args[index]
            if isinstance(operand, A.PatternVar):      # ?A or ?Aᵀ: I^T = I
                neighbour = node.args[index + 1] if index == 0 else node.args[index - 1]
                relaxed = _replaced(base, node, A.product_of(list(node.args[:index] + node.args[index + 1:])))
                if not _vacuous(relaxed):
                    yield relaxed, ((operand.name.rstrip(TRANSPOSED), neighbour, index == 0),), read_as_transposes


def _transposes(expr) -> int:
    return sum(isinstance(node, A.Transpose) for node in A.walk(expr))


def _replaced(tree, old, new):
    if tree is old:
        return new
    kids = A.children(tree)
    return A.with_children(tree, [_replaced(k, old, new) for k in kids]) if kids else tree


def _restored(rule, found, identities, context, read_as_transposes=False):
    """The rule's own bindings from a relaxed match: ?A = E^T for ?Aᵀ = E,
    the identity for an operand left out; None if they disagree or a
    where-clause refuses them, or if an E that must read as a transpose does
    not: E = (N^2)^{-T} N^T is (N (N^2)^{-1})^T, with fewer transposes
    once they are pushed in; u is no transpose a reader sees."""
    env = context.env
    bindings = {key: value for key, value in found.items() if not str(key).endswith(TRANSPOSED)}
    for key, value in found.items():
        if str(key).endswith(TRANSPOSED):
            plain = canon(A.Transpose(value), env)
            if read_as_transposes and _transposes(push_transposes(plain, context)) >= _transposes(value):
                return None
            if bindings.setdefault(key[:-1], plain) != plain:
                return None
    for name, neighbour, leftmost in identities:
        if name in bindings:                            # ?A left out here, bound elsewhere
            return None
        try:
            rows, cols = env.shape(instantiate(rule, neighbour, {**found, **bindings}, context))
        except MatcalcError:                            # a neighbour whose shapes do not fit
            return None
        size = rows if leftmost else cols
        if size.is_one:                                 # I_1 = 1 is no factor a reader sees
            return None
        bindings[name] = A.Identity(size)
    ok = all(context.accepts(rule, key, value) for key, value in bindings.items() if isinstance(key, str))
    # the engine's own tests of the bindings' shapes (a scalar ?A of ?A ?B is no matrix factor)
    return bindings if ok and _shapes_fit(rule, bindings, env) and _sizes_fit(rule, bindings, context) else None
