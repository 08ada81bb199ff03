"""What every Python emitter shares: precedence, inlining, the module's shape.

A target (numpy, torch, jax) is a table: for each kind of the lowering's
vocabulary a template, its precedence and the precedence each operand needs
(SymPy's printers share one ``precedence`` and ``parenthesize`` the same
way).  A temporary used once is written into the statement that uses it, so
``a1 = W1 @ x + b1`` reads as on paper; named values, and whatever is used
twice, are statements of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ...lowering.program import Function, Op
from ..text import to_text
from .inplace import buffers, promoted, shape_of

ATOM, POWER, UNARY, MUL, ADD, LOWEST = 100, 90, 80, 70, 60, 0
INLINE_WIDTH = 60          # a temporary longer than this is a statement of its own


def parenthesize(text: str, precedence: int, needed: int) -> str:
    return f"({text})" if precedence < needed else text


# kind → (template, precedence, the precedence each operand needs): the same in every library
SHARED = {
    "add": ("{0} + {1}", ADD, (ADD, ADD + 1)), "sub": ("{0} - {1}", ADD, (ADD, ADD + 1)),
    "neg": ("-{0}", UNARY, (UNARY,)), "mul": ("{0} * {1}", MUL, (MUL, MUL + 1)),
    "div": ("{0} / {1}", MUL, (MUL, MUL + 1)), "matmul": ("{0} @ {1}", MUL, (MUL, MUL + 1)),
    "dot": ("{0} @ {1}", MUL, (MUL, MUL + 1)), "transpose": ("{0}.T", ATOM, (ATOM,)),
    "row_scale": ("{0}[:, None] * {1}", MUL, (ATOM, MUL + 1)), "col_scale": ("{0} * {1}", MUL, (MUL, MUL + 1)),
    "as_column": ("{0}[:, None]", ATOM, (ATOM,)), "pow": ("{0} ** {1}", POWER, (POWER + 1, POWER)),
    "sum": ("{0}.sum()", ATOM, (ATOM,)), "mean": ("{0}.mean()", ATOM, (ATOM,)),
    "sumsq": ("({0} ** 2).sum()", ATOM, (POWER + 1,)),
    "vec": ("{0}.T.reshape(-1)", ATOM, (ATOM,)), "unvec": ("{0}.reshape({p1}, {p0}).T", ATOM, (ATOM,)),
    "reshape": ("{0}.reshape({p0}, {p1})", ATOM, (ATOM,)),
}


def call(name: str, *extra: str) -> tuple:
    """A call of one operand, ``name({0}, extra...)``."""
    return (name + "({0}" + "".join(", " + e for e in extra) + ")", ATOM, (LOWEST,))


def array_library(p: str) -> dict:
    """The templates NumPy, JAX (and torch, mostly) spell the same, with ``p`` its module."""
    return {
        "sum_rows": ("{0}.sum(axis=1)", ATOM, (ATOM,)), "sum_cols": ("{0}.sum(axis=0)", ATOM, (ATOM,)),
        "solve": (p + ".linalg.solve({0}, {1})", ATOM, (LOWEST, LOWEST)), "inv": call(p + ".linalg.inv"),
        "det": call(p + ".linalg.det"), "logdet": call("_logdet"),
        "logdet_pd": (f"2 * {p}.log({p}.diagonal({p}.linalg.cholesky({{0}}))).sum()", MUL, (LOWEST,)),
        "trace": call(p + ".trace"), "norm": call(p + ".linalg.norm"),
        "diag_matrix": call(p + ".diag"), "diag_vector": call(p + ".diagonal"),
        "kron": (p + ".kron({0}, {1})", ATOM, (LOWEST, LOWEST)),
        "outer": (p + ".outer({0}, {1})", ATOM, (LOWEST, LOWEST)),
        "matrix_power": call(p + ".linalg.matrix_power", "{p0}"),
        "commute": call("_commute", "{p0}", "{p1}"),
        "expand_cols": (p + ".broadcast_to({0}[:, None], ({p0}, {p1}))", ATOM, (ATOM,)),
        "expand_rows": (p + ".broadcast_to({0}, ({p0}, {p1}))", ATOM, (LOWEST,)),
    }


def entrywise(p: str) -> dict:
    """Entrywise functions that are ``p.name`` in every library."""
    return {name: f"{p}.{name}({{0}})" for name in ("exp", "log", "sin", "cos", "tan", "tanh", "sqrt", "abs", "sign")}


KRON_APPLY = '''def _kron_apply(parts, sizes, r):
    """(A1 ⊗ … ⊗ Ak) r without the Kronecker product: Ai acts on axis i of r
    as a tensor (None: the identity; (m, n): K_{{m,n}}, a permutation), Matrix Cookbook (520)."""
    tensor = r.reshape(tuple(sizes) + (-1,))
    for axis, part in enumerate(parts):
        if isinstance(part, tuple):
            moved = {moveaxis}(tensor, axis, 0)
            permuted = _commute(moved.reshape(moved.shape[0], -1), *part).reshape(moved.shape)
            tensor = {moveaxis}(permuted, 0, axis)
        elif part is not None:
            tensor = {moveaxis}({tensordot}(part, tensor, {axes}=([1], [axis])), 0, axis)
    return tensor.reshape((-1,) + tuple(r.shape[1:]))'''

LOGDET = '''def _logdet(a):
    """log det(a) from slogdet; NaN where det(a) is not positive (as matcalc evaluates it)."""
    sign, value = {p}.linalg.slogdet(a)
    return {p}.where(sign > 0, value, {p}.nan)'''

STEP = '''def _step(z):
    """1 where z > 0, else 0, in z's dtype (the derivative of relu)."""
    return (z > 0).{cast}(z.dtype)'''

COMMUTE = '''def _commute(r, m, n):
    """K_{{m,n}} r: vec(A) → vec(A^T) for an m×n A, on each column of r."""
    return r.reshape(n, m, -1).{swap}(0, 1).reshape(r.shape)'''


@dataclass(frozen=True)
class Target:
    name: str
    imports: tuple                     # the module's import lines
    prefix: str                        # np / torch / jnp
    templates: dict                    # kind → (template, precedence, operand precedences)
    functions: dict                    # entrywise function → template of {0}
    helpers: dict = field(default_factory=dict)     # helper name → its source (emitted when used)
    array_of: str = "{0}"              # a NumPy array → this library's (script check)
    check_setup: tuple = ()            # lines at the start of the script check
    creation: str = "dtype={like}.dtype"   # keyword arguments of ones/zeros/eye
    in_place: dict = field(default_factory=dict)    # kind or function → its ``out=`` form (inplace.py)
    scalar_input: str = ""             # a scalar input given as a Python number → this library's 0-d value


def literal(value: Fraction) -> tuple[str, int]:
    if value.denominator == 1:
        text = str(value.numerator)
    elif 10**6 % value.denominator == 0 or _from_a_float(value):
        text = repr(float(value))      # a decimal, or a float's value (3 log 8 of a stable quotient)
    else:
        return f"{value.numerator} / {value.denominator}", MUL
    return text, UNARY if value < 0 else ATOM


def _from_a_float(value: Fraction) -> bool:
    """A float's exact fraction (times a small whole number): a denominator of
    a high power of two, which no user writes; printed as the float it is."""
    return value.denominator > 2**20 and value.denominator & (value.denominator - 1) == 0


class Printer:
    """One function's statements in one target."""

    def __init__(self, target: Target, function: Function, dims: dict, like: str | None, inputs=None):
        self.target, self.function, self.dims, self.like = target, function, dims, like
        self.inputs = inputs or {}               # code name → shape (what in-place writing needs)
        self.text: dict = {}                     # value name → (code, precedence) when inlined
        self.helpers: set = set()
        uses: dict = {}
        for op in function.ops:
            template = self.template(op)[0] if op.kind not in ("const", "size", "ones", "zeros", "eye",
                                                               "kron_apply") else ""
            for index, arg in enumerate(op.args):      # a template that reads {0} twice uses it twice
                uses[arg] = uses.get(arg, 0) + max(1, template.count("{%d}" % index))
        for name in _returned(function.returns):
            uses[name] = uses.get(name, 0) + 1
        self.uses = uses
        self.shapes = shape_of(function.ops, self.inputs) if target.in_place else {}
        self.promoted = promoted(function.ops, self.shapes, uses, self.can_write) if target.in_place else set()

    def dim(self, dim) -> tuple[str, int]:
        parts = ([str(dim.coef)] if dim.coef != 1 or not dim.names else []) + [self.dims[n] for n in dim.names]
        return " * ".join(parts), MUL if len(parts) > 1 else ATOM

    def shape(self, rows, cols) -> str:
        if cols.is_one:
            return f"({self.dim(rows)[0]},)"
        if rows.is_one:
            return f"({self.dim(cols)[0]},)"
        return f"({self.dim(rows)[0]}, {self.dim(cols)[0]})"

    def operand(self, name) -> tuple[str, int]:
        return self.text.get(name, (name, ATOM))

    def render(self, op: Op) -> tuple[str, int]:
        if op.kind == "const":
            return literal(op.params[0])
        if op.kind == "size":
            return self.dim(op.params[0])
        if op.kind in ("ones", "zeros", "eye"):
            shape = self.shape(*op.params) if op.kind != "eye" else self.dim(op.params[0])[0]
            keywords = self.target.creation.format(like=self.like)
            return f"{self.target.prefix}.{op.kind}({shape}, {keywords})", ATOM
        if op.kind == "kron_apply":
            return self.kron_apply(op)
        template, precedence, needs = self.template(op)
        self.helpers |= {name for name in self.target.helpers if name + "(" in template}
        operands = [parenthesize(*self.operand(arg), need) for arg, need in zip(op.args, needs * len(op.args))]
        params = {f"p{i}": self.dim(p)[0] if hasattr(p, "names") else str(p) for i, p in enumerate(op.params)}
        return template.format(*operands, **params), precedence

    def template(self, op: Op) -> tuple:
        if op.kind == "func":
            return self.target.functions[op.params[0]], ATOM, (LOWEST,)
        return self.target.templates.get(op.kind) or SHARED[op.kind]

    def in_place_template(self, op: Op) -> str | None:
        """The target's ``out=`` form of an entrywise statement, if it has one."""
        return self.target.in_place.get(op.params[0] if op.kind == "func" else op.kind)

    def kron_apply(self, op: Op) -> tuple[str, int]:
        """(P ⊗ Q) v = vec(Q V P^T), V = unvec(v): computed as (P V^T Q^T) read row by row;
        more factors, or a matrix V, through the helper that applies one factor per axis."""
        permutations = op.params[-1]
        if len(op.args) != 3 or op.params[-2] != "vector" or any(permutations):
            self.helpers |= {"_kron_apply", "_commute"}
            parts = ", ".join(f"({self.dim(swap[0])[0]}, {self.dim(swap[1])[0]})" if swap else
                              "None" if a is None else self.operand(a)[0]
                              for a, swap in zip(op.args[:-1], permutations))
            sizes = ", ".join(self.dim(d)[0] for d in op.params[:-2])
            return f"_kron_apply(({parts},), ({sizes},), {self.operand(op.args[-1])[0]})", ATOM
        left, right, vector = op.args
        size_left, size_right = (self.dim(d)[0] for d in op.params[:-2])
        code = f"{parenthesize(*self.operand(vector), ATOM)}.reshape({size_left}, {size_right})"
        if left is not None:
            code = f"{parenthesize(*self.operand(left), MUL)} @ {code}"
        if right is not None:
            code = f"{code} @ {parenthesize(*self.operand(right), ATOM)}.T"
        return f"({code}).reshape(-1)", ATOM

    def inlined(self, op: Op, code: str) -> bool:
        if op.kind in ("const", "size"):
            return True
        return not op.named and self.uses.get(op.name, 0) == 1 and len(code) <= INLINE_WIDTH \
            and op.name not in self.promoted

    def body(self) -> list[str]:
        statements, reads, heading = [], {}, None      # reads: value → the names its inlined text reads
        for op in self.function.ops:
            heading = self.function.sections.get(op.name, heading)
            code, precedence = self.render(op)
            read = set().union(*(reads.get(arg, {arg}) for arg in op.args if arg is not None))
            if self.inlined(op, code):
                self.text[op.name] = (code, precedence)
                reads[op.name] = read
                continue
            statements.append((op, code, read, heading))
            heading = None
        into = self.buffers(statements) if self.target.in_place else {}
        lines, run = [], None          # run: where the temporaries promoted for the next value begin
        for op, code, _, heading in statements:
            if heading:
                lines.append(f"# ---- {heading}")
            if op.note:                # the step's comment goes above the temporaries made for it
                note = "# " + "".join(p if isinstance(p, str) else to_text(p) for p in op.note)
                lines.insert(len(lines) if run is None else run, note)
            made_for_the_next = op.name in self.promoted and not op.named
            run = (len(lines) if run is None else run) if made_for_the_next else None
            if op.name in into:
                operands = [self.operand(arg)[0] for arg in op.args]
                code = self.in_place_template(op).format(*operands, out=into[op.name])
            lines.append(f"{op.name} = {code}")
        lines.append("return " + self.returned(self.function.returns))
        return lines

    def buffers(self, statements) -> dict:
        return buffers([(op, read) for op, _, read, _ in statements], self.function.ops, self.shapes,
                       _returned(self.function.returns), self.can_write)

    def can_write(self, op: Op) -> bool:
        return self.in_place_template(op) is not None

    def returned(self, returns) -> str:
        parts = []
        for item in returns:
            if isinstance(item, dict):
                parts.append("{" + ", ".join(f'"{k}": {self.operand(v)[0]}' for k, v in item.items()) + "}")
            else:
                parts.append(self.operand(item)[0])
        return ", ".join(parts)


def _returned(returns) -> list:
    names = []
    for item in returns:
        names.extend(item.values() if isinstance(item, dict) else [item])
    return names
