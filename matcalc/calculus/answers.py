"""Answers in book form, and the named steps that post-process an answer.

``answer_form`` writes an answer as the books do (1/2 (A + A^T), (x - μ)^T,
s 1^T y).  ``symmetric_gradient`` and ``numerator_layout`` are steps of their
own, appended to a finished derivation: the gradient in the space of
symmetric matrices, and the transpose of the gradient (SPEC §2).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from fractions import Fraction

from ..language import ast as A
from ..language.ast import scaled, split_coefficient
from ..rewriting.canon import canon
from ..rewriting.catalog import Catalog, default_catalog
from ..rewriting.engine import Context, rewrite_everywhere
from .steps import Outcome, Step
from .trace_method import pushed_transposes


def answer_form(expr, env):
    """An answer as the books write it: 1/2 (A + A^T), (x - μ)^T rather than
    x^T - μ^T, s 1^T y."""
    changes = answer_form_steps(expr, env)
    return changes[-1][1] if changes else expr


def answer_form_steps(expr, env) -> list:
    """``answer_form`` one identity at a time: (rules, expression) for each
    change, so that a derivation can show it."""
    if not _may_change_form(expr, env):
        return []           # (most answers: ∂f/∂i = x)
    return _form_changes(expr, env)


def _may_change_form(expr, env) -> bool:
    """Whether ``answer_form_steps`` may change ``expr``: each form needs a
    sum (the sum of entries last needs a 1 instead), or canon must change it."""
    return A.holds(expr, A.Add, A.Ones) or canon(expr, env) != expr


def _form_changes(expr, env) -> list:
    # each form needs a node of its own kind: most answers hold no sum and no 1
    changes = []
    common = _common_factor(expr, env) if A.holds(expr, A.Add) else expr
    if common != expr:
        expr = canon(common, env)
        changes.append((("factor-scalar",), expr))
    out, rules = transpose_out_rules(expr, env)
    if rules and out != expr:
        expr = out
        changes.append((tuple(rules), expr))
    last = canon(_sum_of_entries_last(expr, env) if A.holds(expr, A.Ones) else expr, env)
    if last != expr:
        expr = last
        changes.append((("scalar-last",), last))
    signed, rule = sign_into_sum_rule(expr, env)
    if rule is not None:
        changes.append(((rule,), signed))
    return changes


def without_undone_lines(start, lines, env) -> list:
    """The lines (rule, after, rules) of an answer's simplification, less any
    run of them that ends where it began, up to the order of scalar factors
    (3 (1 - h1) λ^2 to -3 λ^2 (h1 - 1) by scalar algebra, and back by
    sign-into-sum-scaled): a line the next one undoes is not printed."""
    keys: dict = {}        # each expression's order-free key, made once: a line is compared with every line before it
    printed: dict = {}
    occurrences: dict = {}

    def reordered(before, after) -> bool:
        """``after`` is ``before`` with terms of sums or scalar factors of
        products in another order."""
        if before == after:
            return True
        if _key_root(before, env) != _key_root(after, env):
            return False        # keys that differ at their roots (tr(2 i X) and 2 i tr(X)): no key made
        for expr in (before, after):
            if expr not in occurrences:
                occurrences[expr] = Counter(node.name for node in A.walk(expr) if isinstance(node, A.Symbol))
        if occurrences[before] != occurrences[after]:
            return False        # a key holds every symbol as often as it occurs (factoring changes that)
        for expr in (before, after):
            if expr not in keys:
                keys[expr] = _unordered(expr, env, printed)
        return keys[before] == keys[after]

    kept, befores = [], [start]
    for line in lines:
        back = next((index for index, before in enumerate(befores) if reordered(before, line[1])), None)
        if back is not None:
            del kept[back:], befores[back + 1:]
            continue
        kept.append(line)
        befores.append(line[1])
    return kept


def _unordered(expr, env, printed=None):
    """A key equal for expressions that differ only in the order of terms and
    of scalar factors: a scalar product is the multiset of its factors, those
    under 1 / (...) inverted (h2^{-1} (r + 1)^{-1} is 1 / (h2 (1 + r)))."""
    return _keyed(expr, env, {} if printed is None else printed)[0]


def _keyed(expr, env, printed: dict) -> tuple:
    """(the key of ``_unordered``, its repr).  Terms and factors are sorted by
    the repr of their keys; each repr is put together from its children's,
    where printing each key would print every subtree again at every level,
    and each node is printed once (``printed``)."""
    if _key_root(expr, env) == _SCALAR_PRODUCT:
        factors = _scalar_factors(expr, env, False, printed)
        texts = sorted(_tuple_text((repr(flag), text)) for flag, _, text in factors)
        return ("product", tuple(texts)), _tuple_text((repr("product"), _tuple_text([repr(t) for t in texts])))
    return _by_children(expr, env, printed)


_SCALAR_PRODUCT = "product"


def _key_root(expr, env):
    """What the key of ``_unordered`` is at its root: the factors of a scalar
    product, else the node's own type (a leaf, or the node with its children
    zeroed): two expressions whose roots differ have different keys."""
    return _SCALAR_PRODUCT if env.is_scalar(expr) and isinstance(expr, (A.Product, A.Power)) else type(expr)


def _by_children(expr, env, printed: dict):
    kids = A.children(expr)
    if not kids:
        return expr, _printed(expr, printed)
    keyed = [_keyed(kid, env, printed) for kid in kids]
    if isinstance(expr, A.Add):
        keyed.sort(key=lambda pair: pair[1])
    zeroed = A.with_children(expr, [A.ZERO] * len(kids))
    key = zeroed, tuple(key for key, _ in keyed)
    return key, _tuple_text((_printed(zeroed, printed), _tuple_text([text for _, text in keyed])))


def _printed(node, printed: dict) -> str:
    """repr(node), once per node; a norm's subscript prints but is no part of
    its equality, so a norm is printed each time."""
    if isinstance(node, A.Norm):
        return repr(node)
    text = printed.get(node)
    if text is None:
        text = printed[node] = repr(node)
    return text


def _tuple_text(texts) -> str:
    """repr of a tuple whose items' reprs are ``texts``."""
    return "(" + ", ".join(texts) + ("," if len(texts) == 1 else "") + ")"


def _scalar_factors(expr, env, inverted, printed: dict) -> list:
    """(1 / or nothing, key, repr of the key) of each scalar factor."""
    if isinstance(expr, A.Product) and all(env.is_scalar(kid) for kid in expr.args):
        return [key for kid in expr.args for key in _scalar_factors(kid, env, inverted, printed)]
    if isinstance(expr, A.Power) and expr.exponent == A.Number(Fraction(-1)):
        return _scalar_factors(expr.base, env, not inverted, printed)
    return [("1 /" if inverted else "", *_by_children(expr, env, printed))]


def sign_into_sum(expr, env):
    """-(y - W x) x^T is (W x - y) x^T: a minus sign in front of a product goes
    into a difference among its factors, which then reads without it (rule
    sign-into-sum), where the difference has as many minus signs as plus.
    Only a whole answer: a term of a sum keeps its sign where the sum shows it.
    A name is no difference: for r = y - a3, δa3 = -δr stays (issue 23 item 3).
    a3 - y would write the program's r out where its name can stand, and is
    not shorter than -δr; the written-out gradient reads (W x - y) x^T."""
    return sign_into_sum_rule(expr, env)[0]


def sign_into_sum_rule(expr, env) -> tuple:
    """(``sign_into_sum`` of expr, the rule it applied or None): sign-into-sum,
    or sign-into-sum-scaled where scalars stand before the difference (-γ (a - b))."""
    if not A.holds(expr, A.Add):
        return expr, None           # no difference to turn round (asked before the coefficient's sign)
    number, rest = split_coefficient(expr)
    if number >= 0 or rest is None:
        return expr, None
    factors = rest.args if isinstance(rest, A.Product) else (rest,)
    for index, factor in enumerate(factors):
        if isinstance(factor, A.Add):
            signs = [split_coefficient(term)[0] < 0 for term in factor.args]
            if 2 * sum(signs) >= len(signs):
                flipped = A.Add(tuple(scaled(-c, r) for c, r in map(split_coefficient, factor.args)))
                changed = scaled(-number, A.product_of(factors[:index] + (flipped,) + factors[index + 1:]))
                past = "scalars" if all(env.is_scalar(f) for f in factors[:index]) else "a matrix"
                return canon(changed, env), _sign_rule(number, index and past, env.is_scalar(factor))
    return expr, None


def _sign_rule(number, past, scalar_difference) -> str:
    """The rule that turns the difference round: past scalars (or a number's
    size, -2 (a - b) = 2 (b - a)) sign-into-sum-scaled, past a matrix factor
    sign-into-sum-left; a scalar difference -(a - b) is no matrix product's
    factor (sign-into-difference)."""
    if past == "a matrix":
        return "sign-into-sum-left"
    if past or (scalar_difference and number != -1):
        return "sign-into-sum-scaled"
    return "sign-into-difference" if scalar_difference else "sign-into-sum"


def _sum_of_entries_last(expr, env):
    """(1^T y) s is written s 1^T y, as the books write softmax(a) 1^T y - y
    (canon keeps a valid chain as it stands; only answers are written so)."""
    kids = A.children(expr)
    if kids:
        expr = A.with_children(expr, [_sum_of_entries_last(k, env) for k in kids])
    number, rest = split_coefficient(expr)
    if isinstance(rest, A.Product) and len(rest.args) == 2:
        scalar, vector = rest.args
        if isinstance(scalar, A.Product) and len(scalar.args) == 2 and isinstance(scalar.args[0], A.Ones) \
                and scalar.args[0].rows.is_one and env.is_vector(vector):
            return scaled(number, A.Product((vector,) + scalar.args))
    return expr


def _common_factor(expr, env):
    """1/2 A + 1/2 A^T = 1/2 (A + A^T), 2 A - 2 B = 2 (A - B) and S/m - Y/m =
    (S - Y)/m: a number (up to sign) or a scalar every term of a sum shares
    stands in front of it (not a sign alone: s - y stays as it is)."""
    kids = A.children(expr)
    if kids:
        expr = A.with_children(expr, [_common_factor(k, env) for k in kids])
    if not isinstance(expr, A.Add):
        return expr
    split = [split_coefficient(term) for term in expr.args]
    if any(rest is None for _, rest in split):
        return expr
    factors = [list(rest.args) if isinstance(rest, A.Product) else [rest] for _, rest in split]
    counts = [Counter(term_factors) for term_factors in factors]
    shared = [f for f in dict.fromkeys(factors[0]) if env.is_scalar(f)
              for _ in range(min(count[f] for count in counts))]
    magnitudes = {abs(coefficient) for coefficient, _ in split}
    number = magnitudes.pop() if len(magnitudes) == 1 else Fraction(1)
    if number == 1 and not shared:
        return expr
    terms = []
    for (coefficient, _), term_factors in zip(split, factors):
        left = list(term_factors)
        for factor in shared:
            left.remove(factor)
        rest = left[0] if len(left) == 1 else A.Product(tuple(left)) if left else A.Number(Fraction(1))
        # w - (a + b) is w - a - b: a sum left inside a term joins the outer one
        terms.extend(scaled(coefficient / number, part) for part in (rest.args if isinstance(rest, A.Add) else (rest,)))
    front = ((A.Number(number),) if number != 1 else ()) + tuple(shared)
    return A.Product(front + (A.Add(tuple(terms)),))


def transpose_out(expr, env):
    """s^T - y^T = (s - y)^T, (1^T y) s^T - y^T = ((1^T y) s - y)^T and
    B^T X^T + X^T B^T = (X B + B X)^T, inside products; returns (expr, changed)."""
    result, rules = transpose_out_rules(expr, env)
    return result, bool(rules)


def transpose_out_rules(expr, env):
    """``transpose_out`` and the rules it used: factor-transpose, and
    transpose-product where a product of transposes was turned round."""
    if not A.holds(expr, A.Add):
        return canon(expr, env), []          # no sum: nothing to take a transpose out of
    changed, turned = False, False

    def visit(node):
        nonlocal changed, turned
        kids = A.children(node)
        if kids:
            node = A.with_children(node, [visit(k) for k in kids])
        if isinstance(node, A.Add):
            inner = []
            for term in node.args:
                coefficient, rest = split_coefficient(term)
                if rest is None:
                    return node
                factors = list(rest.args) if isinstance(rest, A.Product) else [rest]
                matrices = [f for f in factors if not env.is_scalar(f)]
                if not matrices or not all(isinstance(m, A.Transpose) for m in matrices):
                    return node
                # c s^T = (c s)^T, B^T X^T = (X B)^T, with the scalars c in front
                scalars = [f for f in factors if env.is_scalar(f)]
                turned = turned or len(matrices) > 1
                untransposed = scalars + [m.arg for m in reversed(matrices)]
                inner.append(scaled(coefficient, A.product_of(untransposed)))
            changed = True
            return canon(A.Transpose(A.Add(tuple(inner))), env)
        return node

    result = visit(expr)
    return canon(result, env), (["factor-transpose"] + (["transpose-product"] if turned else [])) if changed else []



def _transposed_answer(expr, context, used=None):
    """The transpose of an answer, pushed in, in answer form again; the rules
    that pushed it are added to ``used`` when given."""
    pushed, rules = pushed_transposes(A.Transpose(expr), context)
    if used is not None:
        used.extend(rules)
    return _in_answer_form(pushed, context.env, used)


def _in_answer_form(expr, env, used=None):
    """``answer_form``, the rules it applied added to ``used`` when given."""
    changes = answer_form_steps(expr, env)
    if used is not None:
        used.extend(rule for rules, _ in changes for rule in rules)
    return changes[-1][1] if changes else expr


def symmetric_gradient(outcome: Outcome, context: Context) -> Outcome:
    """For a symmetric X only (G + G^T)/2 is a gradient in the space of
    symmetric matrices (SPEC §2); the step says so."""
    env = outcome.env
    half = A.Number(Fraction(1, 2))

    def symmetrized(g, used=None):
        return _in_answer_form(canon(A.Product((half, A.Add((g, _transposed_answer(g, context, used))))), env), env, used)

    used = []
    answer = symmetrized(outcome.answer, used)
    step = Step("symmetric-gradient", outcome.label, answer, outcome.steps[-1].after,
                tuple(dict.fromkeys(["symmetric-gradient"] + used)), f"{outcome.label.wrt} is symmetric")
    outcome = outcome.then(step, answer, symmetrized(outcome.expanded) if outcome.expanded is not None else None)
    return _shared_factors_collected(outcome, context)


def _shared_factors_collected(outcome: Outcome, context: Context) -> Outcome:
    """G and G^T often share their outer factors: 1/2 (-X^{-1} a b^T X^{-1} -
    X^{-1} b a^T X^{-1}) is -1/2 X^{-1} (a b^T + b a^T) X^{-1} (factor-left,
    factor-right), a line of its own."""
    collected, used = rewrite_everywhere(("factor-left", "factor-right"), outcome.answer, context)
    if not used:
        return outcome
    used = list(used)
    answer = _in_answer_form(collected, outcome.env, used)
    if A.size(answer) >= A.size(outcome.answer):
        return outcome
    step = Step(used[0], outcome.label, answer, outcome.answer, tuple(dict.fromkeys(used)))
    expanded = outcome.expanded
    if expanded is not None:
        expanded = _in_answer_form(rewrite_everywhere(("factor-left", "factor-right"), expanded, context)[0],
                                   outcome.env)
    return outcome.then(step, answer, expanded)


def numerator_layout(outcome: Outcome, context: Context) -> Outcome:
    """The gradient transposed: ∂l/∂X^T (SPEC §2, --layout numerator)."""
    used = []
    answer = _transposed_answer(outcome.answer, context, used)
    label = replace(outcome.label, layout="numerator")
    step = Step("numerator-layout", label, answer, outcome.steps[-1].after,
                tuple(dict.fromkeys(["numerator-layout"] + used)))
    expanded = outcome.expanded
    return outcome.then(step, answer, _transposed_answer(expanded, context) if expanded is not None else None)


def finished_gradient(outcome: Outcome, layout: str, catalog: Catalog | None = None) -> Outcome:
    """A gradient as asked for: in the space of symmetric matrices for a symmetric
    or positive definite X, transposed in numerator layout (each a step)."""
    env, wrt = outcome.env, outcome.label.wrt
    context = Context(env, catalog=catalog or default_catalog())
    info = env.symbols[wrt]
    if info.symmetric or info.positive_definite:
        outcome = symmetric_gradient(outcome, context)
    if layout == "numerator" and not env.is_scalar(A.Symbol(wrt)):
        outcome = numerator_layout(outcome, context)
    return outcome
