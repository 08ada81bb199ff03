"""Random realistic programs in the seeds' and textbooks' style, each with an
independent PyTorch reading of the same forward pass (issue 24, the outside
soak): MLPs of varying depth and activations, residual blocks, tied weights,
layer/batch normalisation stacked up to four, RNN and GRU cells unrolled 2–4
steps, batched columns, attention with a named A, and softmax / BCE /
squared losses with a named yh or p; data declarations and where-clauses
split and ordered at random.

Each building block writes a statement of matcalc text *and* the torch
function of the same statement, side by side, so the reference never passes
through matcalc's parser or lowering.  A program is a pure function of
(seed, index): ``random_program(seed, index)``.  Values are 2-D tensors
(a vector n×1, a scalar 1×1); softmax is column by column, as in SPEC §1."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "sigma": torch.sigmoid,
    "tanh": torch.tanh,
    "softplus": F.softplus,
    "exp": torch.exp,
}


@dataclass
class Symbol:
    name: str
    shape: tuple            # (rows, cols): a vector (n, 1), a scalar (1, 1)
    kind: str               # "param", or the data's kind: "normal", "probability", "unit", "positive"
    declared: list = field(default_factory=list)     # declaration parts: "data", "scalar", ...


@dataclass
class Program:
    statements: list        # (name, text, torch function of the environment)
    symbols: dict           # name -> Symbol
    where: str
    families: tuple         # what the program is made of, for grouping results
    wrt: tuple = ()         # the names asked for; () is --wrt all (the parameters, data skipped)

    @property
    def text(self) -> str:
        return "; ".join(f"{name} = {text}" for name, text, _ in self.statements)

    @property
    def parameters(self) -> list:
        """What the gradients are taken of: --wrt all skips data; a data symbol asked for by name is derived."""
        return list(self.wrt) or [s.name for s in self.symbols.values() if s.kind == "param"]

    @property
    def wrt_text(self) -> str:
        return ", ".join(self.wrt) if self.wrt else "all"

    def values(self, seed: int) -> dict:
        """name -> float64 NumPy array (vectors 1-D, scalars 0-D), fitting every declaration."""
        rng = np.random.default_rng(seed)
        values = {}
        for s in self.symbols.values():
            rows, cols = s.shape
            if s.kind == "probability":
                value = rng.dirichlet(np.ones(rows), size=cols).T
            elif s.kind == "unit":
                value = rng.uniform(0.1, 0.9, s.shape)
            elif s.kind == "positive":
                value = rng.uniform(0.5, 2.0, s.shape)
            elif s.kind == "symmetric":
                half = rng.standard_normal(s.shape)
                value = (half + half.T) / 2
            else:       # weights scaled by their fan-in, so that no layer saturates
                value = rng.standard_normal(s.shape) / np.sqrt(max(cols, 1))
            values[s.name] = value.reshape(rows) if cols == 1 and rows > 1 else (
                value.reshape(()) if s.shape == (1, 1) else value)
        return values

    def torch_gradients(self, values: dict) -> tuple[float, dict]:
        """(loss, name -> ∂loss/∂name) by torch.autograd of the torch reading."""
        env = {}
        for s in self.symbols.values():
            env[s.name] = torch.tensor(np.asarray(values[s.name], dtype=np.float64).reshape(s.shape),
                                       requires_grad=s.name in self.parameters)
        for name, _, function in self.statements:
            env[name] = function(env)
        loss = env[self.statements[-1][0]]
        params = self.parameters
        grads = torch.autograd.grad(loss.sum(), [env[p] for p in params], allow_unused=True)
        return float(loss.sum().detach()), {p: (np.zeros(self.symbols[p].shape) if g is None else g.numpy())
                                   for p, g in zip(params, grads)}


class Builder:
    """Writes one program: fresh names, sizes, statements, declarations."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.statements = []
        self.symbols = {}
        self.families = []
        self.used_names = set()
        self.sizes = iter(rng.sample(range(3, 12), 9))

    # ---- names, symbols, statements
    def size(self) -> int:
        return next(self.sizes)

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent

    def fresh(self, stem: str) -> str:
        k = 1
        while f"{stem}{k}" in self.used_names:
            k += 1
        self.used_names.add(f"{stem}{k}")
        return f"{stem}{k}"

    def symbol(self, name: str, shape: tuple, kind: str = "param", *declared) -> str:
        """A parameter or data symbol; the name must be new (a caller's stem + number, or a fixed name)."""
        if name in self.symbols:
            assert self.symbols[name].shape == shape, name
            return name
        self.used_names.add(name)
        self.symbols[name] = Symbol(name, shape, kind, list(declared))
        return name

    def data(self, stem: str, shape: tuple, kind: str = "normal", *declared) -> str:
        return self.symbol(self.fresh(stem), shape, kind, "data", *declared)

    def let(self, stem: str, text: str, function) -> str:
        name = self.fresh(stem)
        self.statements.append((name, text, function))
        return name

    # ---- layers on a vector or a batch (columns); each returns (name, rows)
    def activation(self, stem: str, a: str, rows: int, cols: int) -> str:
        choice = self.rng.choice(["sigma", "tanh", "tanh", "softplus", "swish", "exp"])
        if choice == "swish":
            return self.let(stem, f"{a} ⊙ sigma({a})", lambda e: e[a] * torch.sigmoid(e[a]))
        if choice == "exp":         # exp of a damped pre-activation, to stay finite
            return self.let(stem, f"exp({a} / 4)", lambda e: torch.exp(e[a] / 4))
        return self.let(stem, f"{choice}({a})", lambda e, f=ACTIVATIONS[choice]: f(e[a]))

    def dense(self, h: str, rows: int, cols: int, out: int | None = None) -> tuple[str, int]:
        out = out or self.size()
        W = self.symbol(self.fresh("W"), (out, rows))
        if cols == 1 and self.chance(70):
            b = self.symbol(self.fresh("b"), (out, 1))
            text = self.rng.choice([f"{W} {h} + {b}", f"{b} + {W} {h}"])
            a = self.let("a" if cols == 1 else "A", text, lambda e: e[W] @ e[h] + e[b])
        elif cols > 1 and self.chance(30):
            b = self.symbol(self.fresh("b"), (out, 1))
            a = self.let("A", f"{W} {h} + {b} 1^T", lambda e: e[W] @ e[h] + e[b])
        else:
            a = self.let("a" if cols == 1 else "A", f"{W} {h}", lambda e: e[W] @ e[h])
        return self.activation("h" if cols == 1 else "H", a, out, cols), out

    def residual(self, h: str, rows: int, cols: int) -> tuple[str, int]:
        self.families.append("residual")
        inner, _ = self.dense(h, rows, cols, out=rows)
        if self.chance(50):
            return self.let("h" if cols == 1 else "H", f"{h} + {inner}", lambda e: e[h] + e[inner]), rows
        V = self.symbol(self.fresh("V"), (rows, rows))
        return self.let("h" if cols == 1 else "H", f"{h} + {V} {inner}", lambda e: e[h] + e[V] @ e[inner]), rows

    def tied(self, h: str, rows: int, cols: int) -> tuple[str, int]:
        """An autoencoder's tied weights: W and W^T."""
        self.families.append("tied")
        mid = self.size()
        W = self.symbol(self.fresh("W"), (mid, rows))
        code = self.let("z" if cols == 1 else "Z", f"sigma({W} {h})", lambda e: torch.sigmoid(e[W] @ e[h]))
        return self.let("r" if cols == 1 else "R", f"{W}^T {code}", lambda e: e[W].T @ e[code]), rows

    def normalisation(self, h: str, rows: int, cols: int) -> tuple[str, int]:
        """Layer norm of a vector (or batch norm of one feature over a batch
        vector): four statements plus a gain and a shift, as seed 002 writes it."""
        self.families.append("norm")
        mu = self.let("mu", f"mean({h})", lambda e: e[h].mean().reshape(1, 1))
        c = self.let("c", f"{h} - {mu} 1", lambda e: e[h] - e[mu])
        s = self.let("s", self.rng.choice([f"mean({c} ⊙ {c})", f"mean({c} .^ 2)"]),
                     lambda e: (e[c] * e[c]).mean().reshape(1, 1))
        if self.chance(50):
            eps = self.symbol("eps", (1, 1), "positive", "scalar", "data")
            xh = self.let("xh", f"{c} / sqrt({s} + {eps})", lambda e: e[c] / torch.sqrt(e[s] + e[eps]))
        else:
            xh = self.let("xh", f"{c} / sqrt({s} + 0.5)", lambda e: e[c] / torch.sqrt(e[s] + 0.5))
        if self.chance(50):
            g = self.symbol(self.fresh("g"), (rows, 1))
            b = self.symbol(self.fresh("beta"), (rows, 1), "param", "vector")     # a Greek name reads as a scalar
            return self.let("y", f"{g} ⊙ {xh} + {b}", lambda e: e[g] * e[xh] + e[b]), rows
        g = self.symbol(self.fresh("gamma"), (1, 1), "param", "scalar")
        b = self.symbol(self.fresh("beta"), (1, 1), "param", "scalar")
        return self.let("y", f"{g} {xh} + {b} 1", lambda e: e[g] * e[xh] + e[b]), rows

    def recurrent(self, rows: int, gru: bool) -> tuple[str, int]:
        """An RNN or GRU unrolled 2–4 steps over data x1, x2, ... (vectors)."""
        self.families.append("gru" if gru else "rnn")
        hidden = self.size()
        h = self.data("h", (hidden, 1)) if self.chance(50) else self.symbol("h0", (hidden, 1))
        W, U = self.symbol("W", (hidden, hidden)), self.symbol("U", (hidden, rows))
        if gru:
            Wz, Uz = self.symbol("Wz", (hidden, rows)), self.symbol("Uz", (hidden, hidden))
            Wr, Ur = self.symbol("Wr", (hidden, rows)), self.symbol("Ur", (hidden, hidden))
        b = self.symbol("b", (hidden, 1)) if not gru and self.chance(60) else None
        for _ in range(self.rng.randint(2, 4)):
            x = self.data("x", (rows, 1))
            if gru:
                z = self.let("z", f"sigma({Wz} {x} + {Uz} {h})", lambda e, x=x, h=h: torch.sigmoid(e[Wz] @ e[x] + e[Uz] @ e[h]))
                r = self.let("r", f"sigma({Wr} {x} + {Ur} {h})", lambda e, x=x, h=h: torch.sigmoid(e[Wr] @ e[x] + e[Ur] @ e[h]))
                hc = self.let("hc", f"tanh({U} {x} + {W} ({r} ⊙ {h}))",
                              lambda e, x=x, h=h, r=r: torch.tanh(e[U] @ e[x] + e[W] @ (e[r] * e[h])))
                h = self.let("h", f"(1 - {z}) ⊙ {h} + {z} ⊙ {hc}",
                             lambda e, h=h, z=z, hc=hc: (1 - e[z]) * e[h] + e[z] * e[hc])
            elif b:
                h = self.let("h", f"tanh({W} {h} + {U} {x} + {b})", lambda e, x=x, h=h: torch.tanh(e[W] @ e[h] + e[U] @ e[x] + e[b]))
            else:
                h = self.let("h", f"tanh({W} {h} + {U} {x})", lambda e, x=x, h=h: torch.tanh(e[W] @ e[h] + e[U] @ e[x]))
        return h, hidden

    def attention(self, X: str, rows: int, cols: int) -> tuple[str, int]:
        """Single-head attention over the columns of X, with the weights A named."""
        self.families.append("attention")
        k, v = self.size(), self.size()
        Wq, Wk, Wv = (self.symbol(self.fresh(n), (d, rows)) for n, d in (("Wq", k), ("Wk", k), ("Wv", v)))
        Q = self.let("Q", f"{Wq} {X}", lambda e: e[Wq] @ e[X])
        K = self.let("K", f"{Wk} {X}", lambda e: e[Wk] @ e[X])
        V = self.let("V", f"{Wv} {X}", lambda e: e[Wv] @ e[X])
        scale = self.symbol("c", (1, 1), "positive", "scalar", "data") if self.chance(50) else None
        S = self.let("S", f"{K}^T {Q} / {scale or 2}", lambda e: e[K].T @ e[Q] / (e[scale] if scale else 2))
        A = self.let("A", f"softmax({S})", lambda e: torch.softmax(e[S], dim=0))
        return self.let("O", f"{V} {A}", lambda e: e[V] @ e[A]), v

    # ---- losses: the last statement, a scalar
    def loss(self, h: str, rows: int, cols: int) -> None:
        vector = cols == 1
        kind = self.rng.choice(["softmax", "softmax", "bce", "squared", "squared", "linear"] + ["logistic"] * vector)
        self.families.append(kind)
        out = self.size()
        if kind in ("softmax", "bce"):
            W = self.symbol(self.fresh("W"), (out, rows))
            z = self.let("z" if vector else "Z", f"{W} {h}", lambda e: e[W] @ e[h])
            if kind == "softmax":
                y = self.data("y" if vector else "Y", (out, cols), "probability", "probability vector")
                p = self.let(self.rng.choice(["yh", "p"]) if vector else "P", f"softmax({z})",
                             lambda e: torch.softmax(e[z], dim=0))
                text = f"-{y}^T log({p})" if vector else f"-sum({y} ⊙ log({p}))"
                self.let(self.rng.choice(["l", "loss", "f"]), text, lambda e: -(e[y] * torch.log(e[p])).sum().reshape(1, 1))
                return
            y = self.data("y" if vector else "Y", (out, cols), "unit")
            p = self.let("p" if vector else "P", f"sigma({z})", lambda e: torch.sigmoid(e[z]))
            text = (f"-{y}^T log({p}) - (1 - {y})^T log(1 - {p})" if vector
                    else f"-sum({y} ⊙ log({p}) + (1 1^T - {y}) ⊙ log(1 1^T - {p}))")
            self.let("l", text, lambda e: -(e[y] * torch.log(e[p]) + (1 - e[y]) * torch.log(1 - e[p])).sum().reshape(1, 1))
            return
        if kind == "logistic":         # Bishop (4.91): a scalar p, a scalar label
            w = self.symbol(self.fresh("w"), (rows, 1))
            b0 = self.symbol(self.fresh("c"), (1, 1), "param", "scalar")
            y = self.data("t", (1, 1), "unit", "scalar")
            z = self.let("z", f"{w}^T {h} + {b0}", lambda e: e[w].T @ e[h] + e[b0])
            p = self.let("p", f"sigma({z})", lambda e: torch.sigmoid(e[z]))
            self.let("l", f"-{y} log({p}) - (1 - {y}) log(1 - {p})",
                     lambda e: -(e[y] * torch.log(e[p]) + (1 - e[y]) * torch.log(1 - e[p])))
            return
        if kind == "linear":
            G = self.data("u" if vector else "G", (rows, cols))
            text = f"{G}^T {h}" if vector else f"sum({G} ⊙ {h})"
            self.let("l", text, lambda e: (e[G] * e[h]).sum().reshape(1, 1))
            return
        W = self.symbol(self.fresh("W"), (out, rows))
        yh = self.let("yh" if vector else "Yh", f"{W} {h}", lambda e: e[W] @ e[h])
        y = self.data("y" if vector else "Y", (out, cols))
        err = self.let("e" if vector else "E", f"{yh} - {y}", lambda e: e[yh] - e[y])
        texts = [f"1/2 {err}^T {err}", f"||{err}||^2", f"sum({err} ⊙ {err}) / 2"] if vector else \
                [f"1/2 sum({err} ⊙ {err})", f"sum({err} .^ 2)"]
        text = self.rng.choice(texts)
        half = "1/2" in text or "/ 2" in text
        self.let("l", text, lambda e: ((e[err] ** 2).sum() * (0.5 if half else 1.0)).reshape(1, 1))

    # ---- declarations
    def where(self) -> str:
        """Every declaration part of every symbol, combined and ordered at random:
        "x, y: data", "y: probability vector; y: data", "y: data, probability vector"."""
        parts = []
        for s in self.symbols.values():
            own = list(s.declared)
            if s.shape != (1, 1) and self.chance(10):
                own.append(f"{s.shape[0]} {self.rng.choice(['x', '×', 'by'])} {s.shape[1]}")
            self.rng.shuffle(own)
            if len(own) > 1 and self.chance(30):     # kind, structure, size and data in one clause
                own = [", ".join(own)]
            parts += [(s.name, part) for part in own]
        self.rng.shuffle(parts)
        clauses, by_part = [], {}
        for name, part in parts:
            if self.chance(30):
                by_part.setdefault(part, []).append(name)
            else:
                clauses.append(f"{name}: {part}")
        clauses += [f"{', '.join(names)}: {part}" for part, names in by_part.items()]
        self.rng.shuffle(clauses)
        return "; ".join(clauses)


def random_program(seed: int, index: int) -> Program:
    rng = random.Random(f"program-soak {seed} {index}")
    b = Builder(rng)
    shape = rng.choice(["vector", "vector", "vector", "batch", "recurrent", "gru", "attention", "norm-stack"])
    rows = b.size()
    cols = 1
    if shape == "recurrent" or shape == "gru":
        h, rows = b.recurrent(rows, gru=shape == "gru")
    elif shape == "attention":
        cols = b.size()
        h, rows = b.attention(b.data("X", (rows, cols)), rows, cols)
    else:
        cols = b.size() if shape == "batch" else 1
        h = b.data("x" if cols == 1 else "X", (rows, cols))
        b.families.append("mlp" if cols == 1 else "batched")
    norms = 0
    if shape == "norm-stack":            # issue 24: four stacked layer norms were refused
        h, rows = b.dense(h, rows, cols)
        for _ in range(rng.randint(2, 4)):
            norms += 1
            h, rows = b.normalisation(h, rows, cols)
            if rng.random() < 0.4:
                h, rows = b.dense(h, rows, cols)
    for _ in range(rng.randint(1, 4) if shape not in ("attention", "norm-stack") else rng.randint(0, 2)):
        layer = rng.choice(["dense", "dense", "residual", "tied", "norm", "norm"])
        if layer == "norm" and cols == 1 and norms < 4:
            norms += 1
            h, rows = b.normalisation(h, rows, cols)
        elif layer == "residual":
            h, rows = b.residual(h, rows, cols)
        elif layer == "tied":
            h, rows = b.tied(h, rows, cols)
        else:
            h, rows = b.dense(h, rows, cols)
    b.loss(h, rows, cols)
    wrt = ()
    if rng.random() < 0.15:             # a data symbol asked for by name is derived (issue 24)
        params = [s.name for s in b.symbols.values() if s.kind == "param"]
        data = [s.name for s in b.symbols.values() if s.kind != "param" and s.kind != "probability"]
        wrt = tuple(rng.sample(params, min(len(params), rng.randint(1, 3))) + rng.sample(data, min(len(data), 1)))
        if len(wrt) < 2 or len(wrt) == len(set(wrt) & set(params)):
            wrt = ()                    # (one name asks for one Derivation, not a Gradients)
        else:
            b.families.append("wrt-data")
    return Program(b.statements, b.symbols, b.where(), tuple(dict.fromkeys(b.families)), wrt)
