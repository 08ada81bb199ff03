"""Programs of a given depth that tests and benchmarks share."""

from __future__ import annotations


def tanh_network(depth: int, width: str | None = "n", damping: str = "") -> tuple[str, str]:
    """(program, where) of a tanh network of ``depth`` square layers with biases
    (``width`` None: every layer a size of its own, as matcalc draws undeclared sizes;
    ``damping`` " / 4": W_k h / 4, a network that is not chaotic on random data)."""
    statements, previous = [], "x"
    for k in range(1, depth + 1):
        statements.append(f"h{k} = tanh(W{k} {previous}{damping} + b{k})")
        previous = f"h{k}"
    statements.append(f"l = ||{previous} - y||^2")
    where = "x, y: data"
    if width is not None:
        where += "; " + ", ".join(f"W{k}" for k in range(1, depth + 1)) + f": {width} x {width}"
    return "; ".join(statements), where
