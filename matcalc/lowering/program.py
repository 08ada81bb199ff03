"""What a lowered derivation is: functions of array statements, each value once.

An ``Op`` computes one value from the values named in ``args`` (and the
literal ``params`` of its kind: an axis, a function's name, a number, sizes).
Its kinds are a small array vocabulary that any array library has; the
emitters print each kind in their library's spelling, and nothing else is
decided there: which product is a solve, where ``diag(v) A`` is
``v[:, None] * A``, when a 1×1 value is a scalar, which logarithm is taken
stably, all of that is decided once, by the lowering.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field

# kind → (number of value arguments, what it computes).  Vectors are 1-D
# arrays whether they stand as columns or rows; scalars are 0-d.
VOCABULARY = {
    "const": (0, "a number (params: the value)"),
    "size": (0, "a size as a number (params: the dimension)"),
    "ones": (0, "all-ones array (params: rows, cols)"),
    "zeros": (0, "all-zero array (params: rows, cols)"),
    "eye": (0, "identity matrix (params: size)"),
    "add": (2, "a + b"), "sub": (2, "a - b"), "neg": (1, "-a"),
    "mul": (2, "a * b entrywise, or a scalar times an array"),
    "div": (2, "a / b, b a scalar"),
    "matmul": (2, "matrix product (matrix·matrix, matrix·vector, vector·matrix)"),
    "dot": (2, "u^T v of two vectors, a scalar"),
    "outer": (2, "u v^T of two vectors"),
    "transpose": (1, "A^T of a matrix"),
    "row_scale": (2, "diag(v) A as v[:, None] * A"),
    "col_scale": (2, "A diag(v) as A * v"),
    "expand_cols": (1, "v 1^T: v repeated as columns (params: columns), a broadcast view"),
    "as_column": (1, "v[:, None]: v as a column that broadcasts against a matrix in a sum"),
    "expand_rows": (1, "1 v^T: v repeated as rows (params: rows), a broadcast view"),
    "sum": (1, "sum of all entries"), "sum_rows": (1, "A 1: the sum of each row"),
    "sum_cols": (1, "1^T A: the sum of each column"), "mean": (1, "mean of all entries"),
    "func": (1, "an entrywise function (params: its name)"),
    "softmax": (1, "softmax of each column, shifted by the column's largest entry"),
    "log_softmax": (1, "log softmax of each column, stably"),
    "logsumexp": (1, "log 1^T exp(z) of each column, stably"),
    "pow": (2, "a ** b entrywise (b a scalar)"),
    "matrix_power": (1, "A^k (params: k)"),
    "inv": (1, "A^{-1} (only where no product follows: a product is a solve)"),
    "solve": (2, "A^{-1} B as a solve"),
    "trace": (1, "tr(A)"), "det": (1, "det(A)"),
    "logdet": (1, "log det(A) from slogdet"),
    "logdet_pd": (1, "log det(A) of a positive definite A from its Cholesky factor"),
    "norm": (1, "Euclidean / Frobenius norm"), "sumsq": (1, "||A||^2 as the sum of squares"),
    "diag_matrix": (1, "diag(v) as a dense matrix (only where nothing cheaper exists)"),
    "diag_vector": (1, "the diagonal of a square matrix"),
    "vec": (1, "the columns stacked (column-major)"),
    "unvec": (1, "the inverse of vec (params: rows, cols)"),
    "kron": (2, "A ⊗ B as a dense matrix (only where nothing cheaper exists)"),
    "kron_apply": (-1, "(A1 ⊗ … ⊗ Ak) V, each Ai (None: I) acting on one axis of V as a tensor "
                       "(params: each Ai's columns, V's kind); two factors and a vector: vec(B unvec(v) A^T)"),
    "commute": (1, "K_{m,n} R: vec(A) → vec(A^T) on each column of R (params: m, n)"),
    "reshape": (1, "the same entries in another 2-D shape (params: rows, cols)"),
}


# Names a generated module uses itself: a symbol so named gets a trailing _.
RESERVED = {"np", "numpy", "torch", "jax", "jnp", "getattr", "tuple", "ValueError", "float", "v_size"}


def python_name(name: str) -> str:
    """A symbol's name as a Python identifier (``lambda`` → ``lambda_``)."""
    return name + "_" if keyword.iskeyword(name) or name in RESERVED else name


@dataclass(frozen=True)
class Op:
    name: str                      # the value's name in code
    kind: str                      # a key of VOCABULARY
    args: tuple                    # the names of the values it uses (None: an identity factor)
    params: tuple = ()
    named: bool = False            # a name the program or the derivation gave (kept, never inlined)
    note: tuple = ()               # a comment, text and expressions: the step that produced it


@dataclass(frozen=True)
class Input:
    name: str                      # as the user wrote it (messages, the gradients' keys)
    rows: object                   # Dim
    cols: object                   # Dim
    kind: str                      # scalar | vector | matrix
    data: str = "normal"           # how a script check draws it (lowering.data)

    @property
    def code(self) -> str:
        return python_name(self.name)


@dataclass(frozen=True)
class Function:
    """One function of the module: its parameters, statements and what it returns."""
    name: str
    params: tuple                  # input names (a direction v last, for H v)
    ops: tuple                     # Op, in dependency order
    returns: tuple                 # value names, or (name, {key: value name}) for a dict
    doc: str = ""
    sections: dict = field(default_factory=dict)   # op name → a heading comment before it
    direction: str = ""            # the parameter that is a direction v (H v), if any


@dataclass(frozen=True)
class Module:
    kind: str                      # gradient | jacobian | hessian
    source: str
    where: str
    inputs: tuple                  # Input, first use first
    functions: tuple               # Function
    wrt: tuple
    shapes: tuple                  # (text, shape text) for the docstring
    sizes: dict                    # dimension → the size a script check draws
    meetings: dict = field(default_factory=dict)   # (input, input) → the smallest expression using both
    layout: str = "mixed"          # a gradient's layout: numerator gives ∂l/∂X^T, X's transposed shape
    method: str = "trace"          # how the steps the comments cite were derived (SPEC §3)
