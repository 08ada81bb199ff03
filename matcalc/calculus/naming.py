"""Names for intermediate values, as a textbook gives them (SPEC §1, §3).

The compound argument of a nonlinear function is named (``a1 = W1 x``), and so
is the value of a layer whose argument was named (``h1 = σ(a1)``), innermost
first; a norm's compound argument is ``r``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from ..language import ast as A
from ..language.graph import graph
from ..rewriting.canon import canon
from ..shapes.env import TypeEnv


# The nodes whose argument or value gets a name (a1 = W1 x, h1 = σ(a1), r).
NAMED_AROUND = (A.Func, A.Softmax, A.LogSoftmax, A.Norm)


class Namer:
    def __init__(self, env: TypeEnv, variables, names=(), layers: bool = True, shared=frozenset()):
        self.env = env
        self.layers = layers             # name a layer's argument and value (a1, h1), or norms only
        self.variables = set(variables)
        self.shared = shared             # values used more than once, each named once (shared_values)
        self.shared_names: dict = {}     # such a value → its name
        self.names: list = []
        self.named: set = set()          # the names, for lookups: a sum of 600 layers is not 600² steps
        self.by_definition: dict = {}
        for name, definition in names:
            self._add(name, definition)
        self.layer = 0

    def _add(self, name, definition) -> None:
        self.names.append((name, definition))
        self.named.add(name)
        self.by_definition.setdefault(definition, name)

    def depends(self, expr) -> bool:
        """Does ``expr`` vary: does it hold a variable, or a name for a value that does?"""
        used = A.symbol_names(expr)
        return bool(used & self.variables) or bool(used & self.named)

    def fresh(self, stem: str, index: int | None) -> str:
        candidate = f"{stem}{index if index is not None else ''}"
        while candidate in self.env.symbols or candidate in self.named:
            index = (index or 1) + 1
            candidate = f"{stem}{index}"
        return candidate

    def bind(self, stem, index, definition) -> A.Symbol:
        existing = self.by_definition.get(definition)
        if existing is not None:
            return A.Symbol(existing)
        if self.env.is_matrix(definition):
            stem = stem.upper()                 # a batch of samples as columns: A1 = W1 X, H1 = σ(A1)
        name = self.fresh(stem, index)
        self.env.add_symbol(name, self.env.shape(definition))
        _known_probability(name, definition, self.env)
        self._add(name, definition)
        return A.Symbol(name)

    def visit(self, node, top=False):
        kids = A.children(node)
        if not kids:
            return node
        if top and not self.shared and not A.holds(node, *NAMED_AROUND):
            return node             # no layer and no norm: nothing gets a name (most expressions)
        if top or node not in self.shared:
            return self._visited(node, top)
        # A value used in several places is one statement, visited once (not once per use).
        if node not in self.shared_names:
            value = self._visited(node)
            named = isinstance(value, A.Symbol) or not self.depends(value)
            self.shared_names[node] = value if named else self.bind("v", None, value)
        return self.shared_names[node]

    def _visited(self, node, top=False):
        node = A.with_children(node, [self.visit(k) for k in A.children(node)])
        if not self.depends(node):
            # a constant layer keeps its number, so that the same expression gets
            # the same names whatever it is differentiated by (a2 is a2 wrt W1 and W2)
            if self.layers and isinstance(node, (A.Func, A.Softmax, A.LogSoftmax)) \
                    and not isinstance(node.arg, A.Symbol):
                self.layer += 1
            return node
        if self.layers and isinstance(node, (A.Func, A.Softmax, A.LogSoftmax)) \
                and not isinstance(node.arg, A.Symbol) and self.depends(node.arg):
            self.layer += 1
            node = A.with_children(node, [self.bind("a", self.layer, node.arg)])
        # In a program (no layers of matcalc's own) the residual is r only where
        # the user has no r: r2 next to their r would read as a layer of theirs.
        if isinstance(node, A.Norm) and not isinstance(node.arg, A.Symbol) \
                and (self.layers or self.fresh("r", None) == "r"):
            node = A.with_children(node, [self.bind("r", None, node.arg)])
        # The value of a layer (h1 = σ(a1)) is named when its argument was.
        layer_output = isinstance(node, (A.Func, A.Softmax)) and isinstance(node.arg, A.Symbol) \
            and node.arg.name in self.named
        if not top and layer_output:
            return self.bind("h" if isinstance(node, A.Func) else "s",
                             self.layer if isinstance(node, A.Func) else None, node)
        return node


# A shared value this small is written where it is used (x^T, -x, 2 x), not named.
SMALLEST_SHARED = 3


def shared_values(expr: A.Expr, variables) -> frozenset:
    """The sub-expressions of ``expr`` that depend on ``variables`` and are
    used more than once (a GRU's h1 in each gate of the next step, a layer
    norm's W x): counted in the expression as a graph, each distinct
    sub-expression's parts once, so the count is linear in the graph."""
    uses, order = graph(expr)
    varying = set(variables)
    size, depends = {}, {}
    for node in order:
        kids = A.children(node)
        size[node] = min(1 + sum(size[kid] for kid in kids), SMALLEST_SHARED)   # (only compared with it)
        depends[node] = (isinstance(node, A.Symbol) and node.name in varying) or any(depends[kid] for kid in kids)
    return frozenset(node for node, count in uses.items()
                     if count > 1 and size[node] >= SMALLEST_SHARED and depends[node])


def softmax_names(nodes, names: list, env: TypeEnv) -> dict:
    """The names of the softmaxes a rule brought in, node -> Symbol: each one's
    existing name, or s, s2, ... (S, S2, ... for a matrix, column by column).
    One pass for all of them: a sum of 600 cross-entropies is not 600² lookups."""
    existing = {}
    for name, definition in names:
        existing.setdefault(definition, name)
    counters = {}                     # letter -> the next index to try (the symbols only grow)
    named = {}
    for node in dict.fromkeys(nodes):
        name = existing.get(node)
        if name is None:
            letter = "s" if env.is_vector(node) else "S"
            index = counters.get(letter, 1)
            while (name := letter if index == 1 else f"{letter}{index}") in env.symbols:
                index += 1
            counters[letter] = index + 1
            env.add_symbol(name, env.shape(node))
            _known_probability(name, node, env)
            names.append((name, node))
            existing[node] = name
        named[node] = A.Symbol(name)
    return named


def _known_probability(name, definition, env: TypeEnv) -> None:
    """A softmax's value is a probability vector (each column of a matrix one):
    1^T s = 1, and the columns of its Jacobian diag(s) - s s^T sum to zero."""
    if isinstance(definition, A.Softmax):
        env.symbols[name] = replace(env.symbols[name], probability=True)


def depending(statements, variables) -> list:
    """The (name, definition) pairs of a program whose values depend on ``variables``."""
    varying, kept = set(variables), []
    for name, definition in statements:
        if A.symbol_names(definition) & varying:
            varying.add(name)
            kept.append((name, definition))
    return kept


# A parameter inside more nested layers than this (one weight in every layer of
# a deep network, σ(W σ(W ...))) is derived by the backward sweep: linear in the
# depth, where one differential of the whole expression grows with its square.
SWEEP_LAYERS = 8
LAYERS = (A.Func, A.Softmax, A.LogSoftmax)


# An expression written out at least this many times the size of its distinct
# parts (a GRU cell over two steps: 4.7; the textbook's problems: at most 1.7).
SHARED_RATIO = 3


def by_sweep(expr: A.Expr, name: str) -> bool:
    """Is one gradient of ``expr`` derived by the backward sweep, in names
    (``api.derive``)?  Where ``name`` is inside more than SWEEP_LAYERS nested
    layers, or where layers around it are used several times over, so that
    the expression is SHARED_RATIO times its distinct parts (a GRU cell or a
    layer norm written out: the differential repeats each use's derivative
    and grows with their product; the sweep derives each value's δ once)."""
    if not A.holds(expr, *LAYERS):
        return False            # no layer at all (most one-line functions): none nested, none shared
    if _layers_around(expr, name) > SWEEP_LAYERS:
        return True
    _, order = graph(expr)
    written = {}
    for node in order:
        written[node] = 1 + sum(written[kid] for kid in A.children(node))
    if written[expr] < SHARED_RATIO * len(order):
        return False
    return any(isinstance(node, LAYERS) for value in shared_values(expr, [name]) for node in A.walk(value))


def _layers_around(expr: A.Expr, name: str) -> int:
    """The most nonlinear functions nested around one another with ``name`` inside."""
    if name not in A.symbol_names(expr):
        return 0
    inner = max((_layers_around(kid, name) for kid in A.children(expr)), default=0)
    return inner + isinstance(expr, LAYERS)


def fold_names(expr, folded: dict, env: TypeEnv):
    """``expr`` with each named value's definition replaced by its name
    (``folded``: definition → Symbol), an entrywise product among more factors
    included: δh1 ⊙ a1 ⊙ σ(a1) is δh1 ⊙ h1 for the swish h1 = a1 ⊙ σ(a1)."""
    if not folded:
        return expr                 # no names: nothing to fold, and no walk to find that out
    result = _folded(expr, folded)
    products = [(Counter(definition.args), name) for definition, name in folded.items()
                if isinstance(definition, A.Hadamard)]
    if products:
        result = _fold_products(result, products)
    return canon(result, env) if result != expr else expr


def _folded(node, folded):
    """A.substitute, except that d(definition) stays as written: it is the
    differential being taken (d(x - μ 1) of c = x - μ 1), not dc again."""
    if node in folded:
        return folded[node]
    if isinstance(node, A.Differential) and node.arg in folded:
        return node
    kids = A.children(node)
    return A.with_children(node, [_folded(kid, folded) for kid in kids]) if kids else node


def _fold_products(node, products):
    kids = A.children(node)
    if kids:
        node = A.with_children(node, [_fold_products(kid, products) for kid in kids])
    if not isinstance(node, A.Hadamard):
        return node
    factors = Counter(node.args)
    for product, name in products:
        if all(factors[factor] >= count for factor, count in product.items()):
            factors -= product
            factors[name] += 1
    if factors == Counter(node.args):
        return node
    left = list(factors.elements())
    return left[0] if len(left) == 1 else A.Hadamard(tuple(left))
