"""Kinds, symbolic dimensions and shape inference (SPEC §1 "Kinds and shapes").

Inference walks the parsed tree once, giving every symbol a shape whose
dimensions are unification variables, and unifying them as operators demand
(``W1 x`` forces cols(W1) = len(x)).  A vector or matrix dimension never
unifies with the structural 1 of a column vector or scalar: only the literal
``1`` has dimensions that may become 1 or a length ("poly" dimensions), which
is how ``b 1^T``, ``x - mu 1`` and ``1^T y`` find the all-ones vector.

After inference every dimension is a ``Dim`` (a number, a name such as ``n``,
or a product such as ``mn`` for ``vec`` and ``⊗``) and ``TypeEnv.shape``
computes the shape of any typed expression.
"""

from __future__ import annotations

from typing import Callable

from ..errors import ShapeError
from ..language import ast as A
from ..language.names import default_kind, symbols_written_out
from .dims import Dim, Shape, describe
from .resolve import letter, resolve
from .unify import Prod, Unifier, Var, normal

_SCALAR = (1, 1)


class _Infer:
    """One pass over a parsed tree: returns the tree with ``1``, ``I`` and
    ``ones`` given their dimensions, and the symbols' shapes.  A part whose
    children come back unchanged is itself (``A.with_children``), not a copy."""

    def __init__(self, source: str, declarations: dict, show: Callable[[A.Expr], str] | None):
        self.source = source
        self.declarations = declarations
        self.show = show                          # prints a node that has no place in the source
        self.unifier = Unifier()
        self.symbols: dict[str, tuple] = {}       # name → (rows, cols) terms
        self.named_dims: dict[str, Var] = {}
        self.order: list[str] = []                # symbols in order of appearance
        self.provisional: dict[int, str] = {}     # names for unnamed dimensions in messages
        self.sized = False                        # the trees hold a 1, I or ones for resolve to size

    # ---- helpers
    def text(self, node) -> str:
        if node.span and self.source:
            return self.source[node.span[0]:node.span[1]].strip()
        return self.show(node) if self.show else type(node).__name__.lower()

    def error(self, message, node) -> ShapeError:
        return ShapeError(message, source=self.source, span=node.span)

    def shown(self, shape) -> Shape:
        return tuple(self._display_dim(t) for t in shape)

    def _display_dim(self, term) -> Dim:
        coef, roots = normal(term)
        names = []
        for root in roots:
            names.append(root.hint or self._provisional_name(root))
        return Dim(coef, tuple(sorted(names)))

    def _provisional_name(self, root: Var) -> str:
        names = self.provisional
        if root.id not in names:
            names[root.id] = letter(len(names), set(self.symbols) | {v.hint for v in self.named_dims.values()})
        return names[root.id]

    def is_scalar(self, shape) -> bool:
        return normal(shape[0]) == (1, ()) and normal(shape[1]) == (1, ())

    def try_unify_all(self, *pairs) -> bool:
        mark = len(self.unifier.trail)
        for a, b in pairs:
            if not self.unifier.unify(a, b):
                self.unifier.undo(mark)
                return False
        return True

    def dim(self, value) -> object:
        if value is None:
            return self.unifier.new_var()
        if isinstance(value, int):
            return value
        if value not in self.named_dims:
            self.named_dims[value] = self.unifier.new_var(hint=value)
        return self.named_dims[value]

    # ---- the walk
    def infer(self, node):
        method = getattr(self, "infer_" + type(node).__name__)
        return method(node)

    def infer_Symbol(self, node):
        name = node.name
        if name not in self.symbols:
            declaration = self.declarations.get(name)
            kind = declaration.kind if declaration else default_kind(name.lstrip("?"))
            if kind == "scalar":
                shape = _SCALAR
            elif kind == "vector":
                shape = (self.dim(declaration.rows if declaration else None), 1)
            else:
                rows = self.dim(declaration.rows if declaration else None)
                square = declaration and declaration.square
                cols = rows if square else self.dim(declaration.cols if declaration else None)
                shape = (rows, cols)
            self.symbols[name] = shape
            self.order.append(name)
        return node, self.symbols[name]

    infer_PatternVar = infer_Symbol

    def infer_Number(self, node):
        if node.written_one:
            # The literal 1: the number, or the all-ones (column) vector where
            # shapes need one; never a matrix, never a row (that is 1^T).
            rows = self.unifier.new_var(poly=True)
            self.sized = True
            return A.Ones(rows, 1, span=node.span), (rows, 1)
        return node, _SCALAR

    def infer_Ones(self, node):
        self.sized = True
        if node.rows is not None:
            return node, (node.rows, node.cols)
        rows = self.unifier.new_var()
        return A.Ones(rows, 1, span=node.span), (rows, 1)

    def infer_Identity(self, node):
        self.sized = True
        size = self.unifier.new_var()
        return A.Identity(size, span=node.span), (size, size)

    def infer_Zero(self, node):
        return node, (node.rows, node.cols)

    def infer_DimValue(self, node):
        return node, _SCALAR

    def infer_Add(self, node):
        args, shapes = self._all(node.args)
        args = list(args)
        shape = shapes[0]
        for index in range(1, len(args)):
            other = shapes[index]
            if self.try_unify_all((shape[0], other[0]), (shape[1], other[1])):
                continue
            # v^T + 1, 1 - Y: the literal 1 is the row of ones, or the all-ones matrix 1 1^T.
            if reading := next((r for r in self._ones_read_again(args[index], other)
                                if self.try_unify_all((shape[0], r[1][0]), (shape[1], r[1][1]))), None):
                args[index] = reading[0]
                continue
            if reading := next((r for r in self._ones_read_again(args[0], shape)
                                if self.try_unify_all((r[1][0], other[0]), (r[1][1], other[1]))), None):
                args[0], shape = reading
                continue
            left = node.args[0]
            right = node.args[index]
            raise self.error(
                    f"{self.text(node)}: shapes differ in a sum: {self.text(left)} "
                    f"{describe(self.shown(shape))} but {self.text(right)} {describe(self.shown(other))}",
                    node)
        return A.with_children(node, args), shape

    def _ones_read_again(self, arg, shape) -> list:
        """For a literal 1 (or c 1) that was typed as a column, the other
        readings a sum may need, with their shapes: the row 1^T, the all-ones
        matrix 1 1^T (issue 24: ``1 - Y`` for a matrix Y)."""
        if isinstance(arg, A.Product) and all(isinstance(a, A.Number) for a in arg.args[:-1]):
            return [(A.Product(arg.args[:-1] + (inner,), span=arg.span), inner_shape)
                    for inner, inner_shape in self._ones_read_again(arg.args[-1], shape)]
        if not (isinstance(arg, A.Ones) and arg.cols == 1):
            return []
        cols = self.unifier.new_var()
        return [(A.Transpose(arg, span=arg.span), (shape[1], shape[0])),
                (A.Product((arg, A.Transpose(A.Ones(cols, 1))), span=arg.span), (shape[0], cols))]

    def infer_Product(self, node):
        args, shapes = self._all(node.args)
        shape = shapes[0]
        for index in range(1, len(args)):
            shape = self._product_shape(node, index, shape, shapes[index])
        return A.with_children(node, args), shape

    def _product_shape(self, node, index, left, right):
        if self.is_scalar(left):
            return right
        if self.is_scalar(right):
            return left
        if self.try_unify_all((left[1], right[0])):
            return left[0], right[1]
        # A literal 1 that cannot take part in a matrix product is the number 1.
        for shape, other in ((left, right), (right, left)):
            if self.try_unify_all((shape[0], 1), (shape[1], 1)):
                return other
        left_node = node.args[0] if index == 1 else A.Product(node.args[:index], span=_join(node.args[:index]))
        lt, rt = self.text(left_node), self.text(node.args[index])
        ls, rs = self.shown(left), self.shown(right)
        if ls[1].is_one and rs[1].is_one:          # x x: no vector has powers
            lw, rw = (f"({t})" if " " in t else t for t in (lt, rt))
            raise self.error(f"{lt} {rt}: a product of two column vectors; did you mean "
                             f"{lw}^T {rt} (a number) or {lt} {rw}^T (a matrix)?", node)
        detail = f"{lt} {describe(ls)} but {rt} {describe(rs)}"
        raise self.error(f"{lt} {rt}: {detail} (the columns of {lt} must match the rows of {rt})", node)

    def infer_Hadamard(self, node):
        """Operands of one shape; a scalar operand scales (2 ./ x is 2 times 1 ./ x)."""
        args, shapes = self._all(node.args)
        first = next((i for i, shape in enumerate(shapes) if not self._is_scalar_operand(args[i], shape)), 0)
        shape = shapes[first]
        for i in range(len(args)):
            if i == first or self._is_scalar_operand(args[i], shapes[i]):
                continue
            if not self.try_unify_all((shape[0], shapes[i][0]), (shape[1], shapes[i][1])):
                what = "quotient" if "./" in self.text(node) else "product"
                raise self.error(
                    f"{self.text(node)}: an elementwise {what} needs equal shapes, but "
                    f"{self.text(node.args[first])} {describe(self.shown(shape))} and "
                    f"{self.text(node.args[i])} {describe(self.shown(shapes[i]))}", node)
        return A.with_children(node, args), shape

    def _is_scalar_operand(self, arg, shape) -> bool:
        """A scalar by its type; not the literal 1, whose size may still be a vector's."""
        return self.is_scalar(shape) and not isinstance(arg, A.Ones)

    def infer_Kron(self, node):
        args, shapes = self._all(node.args)
        # Innermost index first, as vec(X) is rows·cols: the rows of A ⊗ B count
        # B's rows inside A's, so (A ⊗ B) vec(X) = vec(B X A^T) pairs cols(B) with rows(X).
        rows = Prod(tuple(s[0] for s in reversed(shapes)))
        cols = Prod(tuple(s[1] for s in reversed(shapes)))
        return A.with_children(node, args), (rows, cols)

    def infer_Transpose(self, node):
        arg, (rows, cols) = self.infer(node.arg)
        return A.with_children(node, (arg,)), (cols, rows)

    def _square(self, node, arg_node, shape, what):
        if not self.try_unify_all((shape[0], shape[1])):
            raise self.error(f"{self.text(node)}: {what} needs a square matrix, but "
                             f"{self.text(arg_node)} {describe(self.shown(shape))}", node)

    def infer_Inverse(self, node):
        arg, shape = self.infer(node.arg)
        self._square(node, node.arg, shape, "the inverse")
        return A.with_children(node, (arg,)), shape

    def infer_Power(self, node):
        base, shape = self.infer(node.base)
        if not isinstance(node.exponent, A.Number):        # ?X^?k in a rule: a whole-number power
            exponent, exponent_shape = self.infer(node.exponent)
            if not self.try_unify_all((exponent_shape[0], 1), (exponent_shape[1], 1), (shape[0], shape[1])):
                raise self.error(f"{self.text(node)}: a power's open exponent is a scalar, its base square", node)
            return A.Power(base, exponent, span=node.span), shape
        exponent = node.exponent.value
        if self.is_scalar(shape):
            return A.Power(base, node.exponent, from_division=node.from_division, span=node.span), shape
        if node.from_division:
            if self.try_unify_all((shape[0], 1), (shape[1], 1)):
                return A.Power(base, node.exponent, from_division=True, span=node.span), _SCALAR
            raise self.error(f"{self.text(node.base)} {describe(self.shown(shape))}: '/' divides by a "
                             "scalar; use ./ for elementwise division or inv(..) for the inverse", node)
        if exponent.denominator != 1:
            if self.try_unify_all((shape[0], 1), (shape[1], 1)):
                # (1 + 1 / x)^{1/2}: a literal 1 that nothing else sized is the number
                return A.Power(base, node.exponent, span=node.span), _SCALAR
            raise self.error(f"{self.text(node)}: a matrix power needs a whole-number exponent, "
                             f"and {self.text(node.base)} {describe(self.shown(shape))}", node)
        if not self.try_unify_all((shape[0], shape[1])):
            raise self.error(f"{self.text(node)}: a matrix power needs a square matrix, but "
                             f"{self.text(node.base)} {describe(self.shown(shape))} "
                             f"(for the elementwise power write {self.text(node.base)} .^ {exponent})", node)
        if exponent < 0:
            # X^{-k} is (X^{-1})^k: a matrix is never read as standing below a fraction line.
            inverse = A.Inverse(base, span=node.span)
            return (inverse if exponent == -1 else A.Power(inverse, A.Number(-exponent), span=node.span)), shape
        return A.Power(base, node.exponent, span=node.span), shape

    def infer_ElemPow(self, node):
        base, shape = self.infer(node.base)
        exponent, eshape = self.infer(node.exponent)
        if not self.try_unify_all((eshape[0], 1), (eshape[1], 1)):
            raise self.error(f"{self.text(node)}: the exponent of .^ must be a scalar, but "
                             f"{self.text(node.exponent)} {describe(self.shown(eshape))}", node)
        return A.ElemPow(base, exponent, span=node.span), shape

    def infer_Func(self, node):
        arg, shape = self.infer(node.arg)
        if node.name == "numel":
            shape = _SCALAR
        elif node.name == "identity":
            shape = (shape[0], shape[0])
        elif node.name == "commutation":
            # commutation(?X, ?Y) is K_{r,s} for r = rows(?X), s = rows(?Y); the
            # parser packs the pair as a Kron, whose rows are r s.
            shape = (shape[0], shape[0])
        return A.with_children(node, (arg,)), shape

    def infer_Softmax(self, node):
        # A vector, or a matrix column by column (samples as columns, SPEC §1).
        arg, shape = self.infer(node.arg)
        return A.with_children(node, (arg,)), shape

    def infer_LogSoftmax(self, node):
        arg, shape = self.infer(node.arg)
        return A.with_children(node, (arg,)), shape

    def _scalar_of_square(self, node, what):
        arg, shape = self.infer(node.arg)
        self._square(node, node.arg, shape, what)
        return A.with_children(node, (arg,)), _SCALAR

    def infer_Trace(self, node):
        return self._scalar_of_square(node, "the trace")

    def infer_Det(self, node):
        return self._scalar_of_square(node, "the determinant")

    def infer_LogDet(self, node):
        return self._scalar_of_square(node, "the log-determinant")

    def infer_Sum(self, node):
        arg, _ = self.infer(node.arg)
        return A.with_children(node, (arg,)), _SCALAR

    def infer_Mean(self, node):
        arg, _ = self.infer(node.arg)
        return A.with_children(node, (arg,)), _SCALAR

    def infer_Norm(self, node):
        arg, shape = self.infer(node.arg)
        is_matrix = normal(shape[0]) != (1, ()) and normal(shape[1]) != (1, ())
        if node.subscript == "2" and is_matrix:
            raise self.error(f"{self.text(node)}: the 2-norm of a matrix is its spectral norm, which "
                             f"matcalc does not differentiate; {self.text(node.arg)} "
                             f"{describe(self.shown(shape))} (use ||..||_F)", node)
        return A.with_children(node, (arg,)), _SCALAR

    def infer_Diag(self, node):
        arg, (rows, cols) = self.infer(node.arg)
        if normal(cols) == (1, ()):
            return A.Diag(arg, span=node.span), (rows, rows)
        self._square(node, node.arg, (rows, cols), "diag of a matrix")
        return A.Diag(arg, span=node.span), (rows, 1)

    def infer_Vec(self, node):
        arg, (rows, cols) = self.infer(node.arg)
        return A.with_children(node, (arg,)), (Prod((rows, cols)), 1)

    def infer_Differential(self, node):
        arg, shape = self.infer(node.arg)
        return A.with_children(node, (arg,)), shape

    def _all(self, nodes):
        typed, shapes = zip(*map(self.infer, nodes))      # (nodes: an n-ary node's operands, never none)
        return typed, list(shapes)


def _join(nodes):
    spans = [n.span for n in nodes if n.span]
    if not spans:
        return None
    return (min(s[0] for s in spans), max(s[1] for s in spans))


def infer(trees, source: str = "", declarations=None, predefined: dict | None = None,
          show: Callable[[A.Expr], str] | None = None, same_shape: bool = False):
    """Type a list of trees together (a program's statements, or a rule's two
    sides, which ``same_shape`` makes one shape: the 1 of ``?Y^T 1 = 1`` is then
    as long as Y is wide).  ``predefined`` maps a bound name to the tree it
    stands for, so its shape is that tree's.  Returns (typed trees, TypeEnv)."""
    inference = _Infer(source, declarations or {}, show)
    typed = []
    for name, tree in (predefined or {}).items():
        t, shape = inference.infer(tree)
        typed.append(t)
        inference.symbols[name] = shape
    shapes = []
    for tree in trees:
        tree, shape = inference.infer(tree)
        typed.append(tree)
        shapes.append(shape)
    zero = same_shape and any(isinstance(tree, A.Number) and tree.value == 0 for tree in trees)   # of any shape
    if same_shape and not zero and not inference.try_unify_all(
            *[pair for other in shapes[1:] for pair in zip(shapes[0], other)]):
        raise ShapeError(f"the two sides have different shapes: {describe(inference.shown(shapes[0]))} "
                         f"and {describe(inference.shown(shapes[1]))}")
    if predefined:
        # Dimensions are named after the symbols in the order the trees show
        # them (resolve reads the order backwards), then the rest, a bound name last.
        shown = [name for name in symbols_written_out(trees, predefined)
                 if name in inference.symbols and name not in predefined]
        rest = [name for name in list(predefined) + inference.order if name not in shown]
        inference.order = list(dict.fromkeys(rest + shown))
    resolved, env = resolve(inference, typed)
    return resolved[len(predefined or {}):], resolved[:len(predefined or {})], env


