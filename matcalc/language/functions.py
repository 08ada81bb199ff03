"""The function registry: every function of the language, one entry each (SPEC §1).

An entry says how the function is written (its name and aliases), printed
(text and LaTeX), evaluated (NumPy, entry by entry) and differentiated (the
SymPy function, or the derivative for functions SymPy does not know), where
it is defined and how smooth it is.  The parser, the printers, evaluation
and the elementwise derivatives all read this one table, so a new
elementwise function is one entry here.

NumPy and SymPy are passed in (``numpy=lambda np, x: np.exp(x)``), so that
reading the table imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from . import ast as A


@dataclass(frozen=True)
class Function:
    name: str                         # as written and as printed in text
    node: type = A.Func               # A.Func: elementwise, Func(name, arg); else its own node
    aliases: tuple[str, ...] = ()
    text: str | None = None           # the text spelling when it is not the name
    latex: str | None = None          # the LaTeX spelling; \operatorname{name} when None
    numpy: Callable | None = None     # (numpy, x) → f(x), entry by entry
    sympy: Callable | None = None     # (sympy) → the SymPy function, where SymPy has one
    derivative: Callable | None = None  # (lookup, x) → f'(x) in SymPy, where SymPy has no f
    exact: Callable = lambda x: None  # f(x) at a rational x when that is rational, else None
    domain: str = "real"              # "positive": only x > 0 (log); "nonnegative": x >= 0 (sqrt)
    smoothness: str = "smooth"        # "kink": not differentiable at 0; "jump": f' = 0 or undefined
    arity: int = 1

    def defined_at(self, x: Fraction) -> bool:
        return {"real": True, "positive": x > 0, "nonnegative": x >= 0}[self.domain]

    @property
    def spelling(self) -> str:
        return self.text or self.name

    @property
    def latex_spelling(self) -> str:
        return self.latex or rf"\operatorname{{{self.name}}}"


def rational_power(base: Fraction, exponent: Fraction) -> Fraction | None:
    """base^exponent when it is rational: 4^{1/2} = 2, (8/27)^{-1/3} = 3/2; not 2^{1/2}."""
    if base == 0 and exponent < 0:
        return None
    if exponent.denominator == 1:
        return base ** int(exponent)
    if base < 0 or max(abs(exponent.numerator), exponent.denominator) > 12:
        return None
    root = exponent.denominator
    parts = [_integer_root(part, root) for part in (base.numerator, base.denominator)]
    if None in parts:
        return None
    return Fraction(parts[0], parts[1]) ** exponent.numerator


def _integer_root(value: int, root: int) -> int | None:
    guess = round(value ** (1 / root))
    return next((r for r in (guess - 1, guess, guess + 1) if r >= 0 and r ** root == value), None)


def _at(point, value):
    """f(x) known only at one point (exp(0) = 1): transcendental elsewhere (Lindemann)."""
    return lambda x: Fraction(value) if x == point else None


def _stable_sigma(np, x):
    """1 / (1 + exp(-x)) without overflow for large |x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


FUNCTIONS = (
    # ---- elementwise
    Function("exp", latex=r"\exp", numpy=lambda np, x: np.exp(x), sympy=lambda sp: sp.exp,
             exact=_at(0, 1)),
    Function("log", latex=r"\log", numpy=lambda np, x: np.log(x), sympy=lambda sp: sp.log,
             exact=_at(1, 0), domain="positive"),
    Function("sin", latex=r"\sin", numpy=lambda np, x: np.sin(x), sympy=lambda sp: sp.sin,
             exact=_at(0, 0)),
    Function("cos", latex=r"\cos", numpy=lambda np, x: np.cos(x), sympy=lambda sp: sp.cos,
             exact=_at(0, 1)),
    Function("tan", latex=r"\tan", numpy=lambda np, x: np.tan(x), sympy=lambda sp: sp.tan,
             exact=_at(0, 0)),
    Function("tanh", latex=r"\tanh", numpy=lambda np, x: np.tanh(x), sympy=lambda sp: sp.tanh,
             exact=_at(0, 0)),
    Function("sqrt", numpy=lambda np, x: np.sqrt(x),
             sympy=lambda sp: sp.sqrt,
             exact=lambda x: rational_power(x, Fraction(1, 2)), domain="nonnegative"),
    Function("abs", numpy=lambda np, x: np.abs(x), sympy=lambda sp: sp.Abs, exact=abs,
             smoothness="kink"),
    Function("sigma", aliases=("sigmoid", "logistic"), text="σ", latex=r"\sigma",
             numpy=_stable_sigma, exact=_at(0, Fraction(1, 2)),
             derivative=lambda f, x: f("sigma")(x) * (1 - f("sigma")(x))),    # σ' = σ (1 - σ)
    Function("relu", numpy=lambda np, x: np.maximum(x, 0), exact=lambda x: max(x, Fraction(0)),
             derivative=lambda f, x: f("step")(x), smoothness="kink"),
    Function("softplus", numpy=lambda np, x: np.logaddexp(0, x),
             derivative=lambda f, x: f("sigma")(x)),           # log(1 + e^x)' = σ(x)
    Function("step", numpy=lambda np, x: (x > 0).astype(float),
             exact=lambda x: Fraction(int(x > 0)) if x else None,
             derivative=lambda f, x: 0, smoothness="jump"),
    Function("sign", numpy=lambda np, x: np.sign(x), exact=lambda x: Fraction((x > 0) - (x < 0)),
             derivative=lambda f, x: 0, smoothness="jump"),
    # ---- functions with a node of their own
    Function("softmax", node=A.Softmax),
    Function("logsoftmax", node=A.LogSoftmax),
    Function("tr", node=A.Trace, aliases=("trace",)),
    Function("det", node=A.Det, latex=r"\det"),
    Function("logdet", node=A.LogDet, latex=r"\log\det"),
    Function("sum", node=A.Sum),
    Function("mean", node=A.Mean),
    Function("diag", node=A.Diag),
    Function("vec", node=A.Vec),
    Function("inv", node=A.Inverse),
    Function("norm", node=A.Norm),
    Function("kron", node=A.Kron, arity=2),
)

BY_NAME = {spelling: entry for entry in FUNCTIONS for spelling in (entry.name, *entry.aliases)}
ELEMENTWISE = tuple(entry.name for entry in FUNCTIONS if entry.node is A.Func)
_BY_NODE = {entry.node: entry for entry in FUNCTIONS if entry.node is not A.Func}
# Nodes printed as a call of their function, tr(A): all but inv, norm and kron,
# which have notations of their own (A^{-1}, ||x||, A ⊗ B).
CALLED_NODES = tuple(node for node in _BY_NODE if node not in (A.Inverse, A.Norm, A.Kron))


def lookup(name: str) -> Function | None:
    """The entry for a name as written (``sigmoid`` finds σ), or None."""
    return BY_NAME.get(name)


def elementwise(name: str) -> Function:
    """The entry of an elementwise function by its canonical name."""
    return BY_NAME[name]


def of_node(node_type: type) -> Function | None:
    """The entry of a function with its own node (``A.Trace`` → tr)."""
    return _BY_NODE.get(node_type)
