"""Reading a hand-derived answer in the problem's own symbols and shapes.

The candidate is parsed with the plain parser and typed with every symbol of
the problem declared as the problem has it (kind, sizes with the problem's
dimension names, symmetric / positive definite / probability), so that
``A x`` in the candidate is the ``A`` and ``x`` of the problem, with the same
``n``.  A name the problem does not have is refused: an answer cannot use a
symbol the function does not.  A program's own names (``h1``, ``s``) may be
used; they stand for their definitions.
"""

from __future__ import annotations

import contextlib

from ..errors import MatcalcError, ParseError, ShapeError
from ..language import ast as A
from ..language.declarations import Declaration
from ..language.latex import LatexReading
from ..language.parser import parse_program
from ..language.typed_input import typed_input
from ..shapes.dims import Dim
from ..shapes.infer import infer
from .variants import reordered


def _size(dim: Dim):
    """A problem's dimension as a declaration writes it: a number or one name."""
    if not dim.names:
        return dim.coef
    if dim.coef == 1 and len(dim.names) == 1:
        return dim.names[0]
    return None


def _declarations(env) -> dict:
    declared = {}
    for name, info in env.symbols.items():
        declared[name] = Declaration(kind=info.kind, symmetric=info.symmetric,
                                     positive_definite=info.positive_definite,
                                     probability=info.probability,
                                     square=info.kind == "matrix" and info.rows == info.cols,
                                     rows=_size(info.rows), cols=_size(info.cols))
    return declared


def candidate_input(text, input: str | None = None, differentials: bool = False) -> tuple[str, LatexReading | None]:
    """A candidate as typed, in matcalc's language, and its LaTeX reading when it
    is LaTeX: the expression's rule (SPEC §10, §11) — a backslash means LaTeX,
    ``input="text"`` or ``"latex"`` says so.  A LaTeX name reads to the plain
    name the problem's own spelling does (``\\mathbf{W}^{(1)}``, ``W_1`` → W1)."""
    if not isinstance(text, str):
        raise MatcalcError(f"the answer to compare must be a string, not {type(text).__name__}")
    typed = typed_input(text, input, differentials)
    return typed.plain, typed.reading


@contextlib.contextmanager
def pointed_at(reading: LatexReading | None):
    """An error found in a LaTeX candidate's plain reading points at the LaTeX typed."""
    try:
        yield
    except MatcalcError as error:
        if reading is not None:
            raise reading.latex_error(error) from None
        raise


def definitions_of(statements) -> dict:
    """A program's names → their typed definitions, written out in the problem's symbols."""
    written: dict = {}
    for name, definition in statements[:-1]:
        written[A.Symbol(name)] = A.substitute(definition, written)
    return {symbol.name: value for symbol, value in written.items()}


def read_candidate(text: str, env, symbols, definitions: dict, differentials: bool = False,
                   shape=None) -> A.Expr:
    """The candidate ``text`` typed in ``env`` (the problem's TypeEnv).
    ``symbols`` are the problem's own symbols; ``definitions`` maps a
    program's names to their typed, written-out definitions.  With
    ``differentials``, ``dX`` is the differential of X (of the problem's
    symbols and the program's names) where the problem has no symbol dX.
    A ``shape`` (the answer's) is tried first, then its transpose, then none:
    the ``1`` of ``-2 β 1`` is the all-ones vector where the answer is a vector."""
    tree, declared, definitions = _parsed(text, env, symbols, definitions, differentials)
    for wanted in (shape, shape[::-1]) if shape and all(_size(d) is not None for d in shape) else ():
        try:
            return _typed(tree, text, env, declared, definitions, wanted)
        except ShapeError:
            continue
    return _typed(tree, text, env, declared, definitions)


def reorderings_that_fit(text: str, env, symbols, definitions: dict) -> tuple[A.Expr, list[A.Expr]]:
    """For a candidate whose shapes do not fit (``B^T A^T`` for ``A^T B^T``):
    (the candidate as parsed, each way of reordering the factors of one of
    its products that does fit, typed)."""
    tree, declared, definitions = _parsed(text, env, symbols, definitions, False)
    fitting = []
    for variant in reordered(tree):
        try:
            fitting.append(_typed(variant, text, env, declared, definitions))
        except ShapeError:
            continue
    return tree, fitting


def _parsed(text, env, symbols, definitions, differentials):
    if not isinstance(text, str):
        raise MatcalcError(f"the answer to compare must be a string, not {type(text).__name__}")
    declared = _declarations(env)
    tangents = {}
    if differentials:
        for name in list(declared):
            if "d" + name not in declared:
                declared["d" + name] = declared[name]
                tangents["d" + name] = A.Differential(definitions.get(name, A.Symbol(name)))
        definitions = {**definitions, **tangents}
    program = parse_program(text, declared)
    if program.bindings or program.result_name:
        raise ParseError("the answer to compare is one expression, not a program with names (=)",
                         source=text)
    known = set(symbols) | set(definitions)
    # a size used as a number, as answers print it: mean(A) has the gradient 1 1^T / (m n)
    sizes = {A.Symbol(name): A.DimValue(Dim(1, (name,))) for name in env.dim_names() if name not in known}
    tree = A.substitute(program.result, sizes)
    for node in A.walk(tree):
        if isinstance(node, A.Symbol) and node.name not in known:
            names = ", ".join(symbols) or "none"
            raise MatcalcError(f"'{node.name}' is not a symbol of the problem; its symbols are: {names}",
                               source=text, span=node.span)
    return tree, declared, definitions


_ANSWER = "answer·"       # stands for the answer's shape; no name the parser reads


def _typed(tree, text, env, declared, definitions, shape=None) -> A.Expr:
    used = A.symbol_names(tree)
    wanted = {n: d for n, d in declared.items() if n in used}
    trees = [tree]
    if shape is not None:
        rows, cols = shape
        kind = "scalar" if rows.is_one and cols.is_one else "vector" if cols.is_one else "matrix"
        wanted[_ANSWER] = Declaration(kind=kind, rows=_size(rows), cols=_size(cols))
        trees.append(A.Symbol(_ANSWER))
    typed, _, candidate_env = infer(trees, text, wanted, same_shape=shape is not None)
    for name in used:                 # dx has the shape of x
        if candidate_env.symbols[name] != env.symbols.get(name, env.symbols.get(name[1:])):
            raise ShapeError(f"in the answer, {name} does not have its shape in the problem", source=text)
    unknown = set(candidate_env.dim_names()) - set(env.dim_names())
    if unknown:
        raise ShapeError(f"the answer has a size ({', '.join(sorted(unknown))}) that nothing in the problem "
                         "fixes", source=text)
    return A.substitute(typed[0], {A.Symbol(name): value for name, value in definitions.items()})
