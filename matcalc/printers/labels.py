"""Labels of derivation lines and answers, in text and LaTeX (SPEC §9):
``∂l/∂W1``, ``∂²l/∂x∂x^T``, ``∂vec(F)/∂vec(X)^T``, ``dl``; the header lines."""

from __future__ import annotations

from ..shapes.dims import shape_text
from .text import symbol_text, to_text


def label_text(label) -> str:
    f, x = symbol_text(label.function), symbol_text(label.wrt)
    if label.index:                                 # a component: ∂l/∂W_pq, ∂f_i/∂x_q
        return _component_text(label, f, x)
    if label.kind == "value":
        return f
    if label.kind == "differential":
        return f"vec(d{f})" if label.function_is_matrix else f"d{f}"
    if label.kind == "gradient":
        return f"∂{f}/∂{x}" + ("^T" if label.layout == "numerator" and not label.wrt_is_scalar else "")
    by = f"vec({x})" if label.wrt_is_matrix else x
    if label.kind == "hessian":
        return f"∂²{f}/∂{by}∂{by}^T"
    of = f"vec({f})" if label.function_is_matrix else f
    return f"∂{of}/∂{by}" + ("" if label.wrt_is_scalar else "^T")


def label_latex(label, spellings: dict | None = None) -> str:
    """The label; with ``spellings`` in the user's notation (\\partial \\mathbf{W}^{(1)})."""
    from .latex import grouped, symbol_latex    # the LaTeX printer loads with the first LaTeX label
    f, x = symbol_latex(label.function, spellings), symbol_latex(label.wrt, spellings)
    if label.index:
        return _component_latex(label, f, x)
    if spellings and (label.kind in ("hessian", "jacobian") or label.layout == "numerator"):
        f, x = grouped(f), grouped(x)          # a superscript (^\top) may follow
    if label.kind == "value":
        return f
    if label.kind == "differential":
        d = rf"\mathrm{{d}}{f}"
        return rf"\operatorname{{vec}}({d})" if label.function_is_matrix else d
    if label.kind == "gradient":
        top = r"^\top" if label.layout == "numerator" and not label.wrt_is_scalar else ""
        return rf"\frac{{\partial {f}}}{{\partial {x}{top}}}"
    if label.kind == "hessian":
        first, second = ((rf"\operatorname{{vec}} {x}", rf"\operatorname{{vec}}({x})^\top")
                         if label.wrt_is_matrix else (x, rf"{x}^\top"))
        return rf"\frac{{\partial^2 {f}}}{{\partial {first}\, \partial {second}}}"
    of = rf"\operatorname{{vec}} {f}" if label.function_is_matrix else f
    by = rf"\operatorname{{vec}}({x})" if label.wrt_is_matrix else x
    top = "" if label.wrt_is_scalar else r"^\top"
    return rf"\frac{{\partial {of}}}{{\partial {by}{top}}}"


def _component_text(label, f, x) -> str:
    """``index`` is "of|by": the function's indices, then the variable's."""
    of, by = label.index.split("|")
    if label.kind == "value":                      # δa2_p: a value standing for a derivative
        return f"{f}_{of or by}" if of or by else f
    f_entry = f"{f}_{of}" if of else f
    if label.kind == "differential":
        return f"d{f_entry}"
    return f"∂{f_entry}/∂{x}_{by}"


def _component_latex(label, f, x) -> str:
    of, by = label.index.split("|")

    def entry(base, indices):
        if not indices:
            return base
        return (f"({base})" if "_" in base else base) + f"_{{{indices}}}"
    if label.kind == "value":
        return entry(f, of or by)
    if label.kind == "differential":
        return r"\mathrm{d}" + entry(f, of)
    return rf"\frac{{\partial {entry(f, of)}}}{{\partial {entry(x, by)}}}"


def label_json(label, spellings: dict | None = None) -> dict:
    return {"text": label_text(label), "latex": label_latex(label, spellings), "kind": label.kind,
            "function": label.function, "wrt": label.wrt, "layout": label.layout}


def shapes_line(derivation) -> str:
    env = derivation.problem.env
    infos = [(name, env.symbols[name]) for name in derivation.problem.symbols]
    parts = [f"{symbol_text(name)}: {shape_text((info.rows, info.cols))}"
             + (" (symmetric)" if info.symmetric and not info.positive_definite else "")
             + (" (positive definite)" if info.positive_definite else "")
             + (" (probability)" if info.probability else "")
             for name, info in infos]
    # Sizes that no symbol fixes, named for the reader: tr(I) = n with I: n×n.
    parts += [f"{what}: {dim}×{dim}" if what == "I" else f"{what}: {dim}" for dim, what in env.free_dims.items()]
    return "   ".join(parts)


def kind_text(declaration) -> str:
    """How a declaration reads in the header: 'probability vector', 'symmetric 3×3'
    (being data is said apart, as it is typed: ``x, y: data``)."""
    kind = ("probability vector" if declaration.probability else "positive definite"
            if declaration.positive_definite else "symmetric" if declaration.symmetric else None)
    if declaration.rows is None:
        return kind or declaration.kind
    if declaration.cols in (None, 1):                    # "x: 5 x 1", as declared
        return f"{kind or 'vector'} of length {declaration.rows}"
    return f"{kind + ' ' if kind else ''}{declaration.rows}×{declaration.cols}"


def _where_text(declarations) -> str:
    """The declarations as they could be typed again: kinds, then the data."""
    kinds = [f"{symbol_text(n)}: {kind_text(d)}" for n, d in declarations.items()
             if not (d.data and d.rows is None and not (d.symmetric or d.probability or d.positive_definite))]
    data = [symbol_text(n) for n, d in declarations.items() if d.data]
    return "; ".join(kinds + ([f"{', '.join(data)}: data"] if data else []))


def function_lines(problem) -> list[str]:
    """The header's first lines: the function with its declarations, or a
    program statement by statement, as the user wrote it."""
    where = "        where " + _where_text(problem.declarations) if problem.declarations else ""
    if not problem.statements:
        return [f"{symbol_text(problem.function_name)} = {to_text(problem.expr)}{where}"]
    program = [f"{symbol_text(n)} = {to_text(d)}" for n, d in problem.statements]
    return [program[0] + where] + program[1:]
