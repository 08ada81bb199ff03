"""The script check at the end of a generated module (``python grad.py``):
random inputs of distinct sizes, every answer against central differences
of the function itself (matrixcalculus.org's checkGradient, built in)."""

from __future__ import annotations

import textwrap

from ...lowering.program import Module
from .common import Target

CHECK = '''

def draw(rng, kind, shape, scale):
    if kind == "probability":                  # every column sums to one
        p = rng.uniform(0.5, 1.5, shape)
        return p / p.sum(axis=0)
    if kind == "positive":                     # where a log or a root needs it
        return scale * rng.uniform(0.5, 1.5, shape)
    value = scale * rng.standard_normal(shape)
    if kind == "positive_definite":
        return value @ value.T / shape[0] + numpy.eye(shape[0])
    if kind.endswith("symmetric"):
        value = (value + value.T) / 2
    if kind.startswith("near_identity"):       # inverted: well conditioned, det near 1
        return numpy.eye(shape[0]) + 0.3 * value / numpy.sqrt(shape[0])
    return value

def call(function, values, *extra):
    return function(*[to_array(values[name]) for name in NAMES], *map(to_array, extra))

def as_numpy(value):
    return numpy.asarray(value, dtype=float).reshape(-1, order="F")   # vec order

def differences(f, values, name, symmetric, h=1e-6):
    """Row i: ∂ vec(f) / ∂ (entry i of vec(name)), by central differences;
    along (E_ij + E_ji) / 2 for a symmetric matrix."""
    x = numpy.asarray(values[name], dtype=float)
    rows = []
    for index in range(x.size):
        step = numpy.zeros(x.size)
        step[index] = h
        step = step.reshape(x.shape, order="F")
        if symmetric:
            step = (step + step.T) / 2
        up, down = dict(values, **{name: x + step}), dict(values, **{name: x - step})
        rows.append((as_numpy(f(up)) - as_numpy(f(down))) / (2 * h))
    return numpy.array(rows).T

def error(found, expected):
    found, expected = as_numpy(found), as_numpy(expected)
    return float(numpy.abs(found - expected).max() / max(1.0, numpy.abs(expected).max()))

def size(dim, sizes):
    coefficient, names = dim
    return coefficient * int(numpy.prod([sizes[name] for name in names]))

def draw_values(rng, sizes, shrunk):
    return {name: draw(rng, KINDS[name], tuple(size(dim, sizes) for dim in SHAPES[name]),
                       0.1 if name in shrunk else 1.0) for name in NAMES}

def finite(*results):
    arrays = [value for result in results
              for value in (result.values() if isinstance(result, dict) else [result])]
    # huge is as bad as infinite: an inverse of a matrix singular but for rounding
    return all(numpy.all(numpy.abs(as_numpy(value)) < 1e8) for value in arrays)

# Data where the function is defined: distinct sizes (also in reverse order: a
# wide U makes U^T U singular), some inputs ten times smaller (b - A x > 0).
rng = numpy.random.default_rng(0)
for attempt in range(16):
    sizes = SIZES if attempt % 2 == 0 else dict(zip(SIZES, list(SIZES.values())[::-1]))
    shrunk = {name for name in NAMES if attempt >= 2 and rng.random() < 0.5}
    values = draw_values(rng, sizes, shrunk)
    try:
        with numpy.errstate(all="ignore"):      # a log of a negative number is a NaN: try again
            if DEFINED:
                break
    except Exception:                          # a matrix these data make singular
        pass
errors = []
'''

GRADIENT = '''
loss, gradients = call(loss_and_gradients, values)
for name in gradients:
    numeric = differences(lambda point: call(loss_and_gradients, point)[0], values, name, name in SYMMETRIC)
    found = numpy.asarray(gradients[name], dtype=float)
    errors.append(error(found.T if NUMERATOR else found, numeric))     # numerator layout: ∂l/∂X^T
'''

JACOBIAN = '''
value, jacobian = call(value_and_jacobian, values)
numeric = differences(lambda point: call(value_and_jacobian, point)[0], values, WRT, False)
errors.append(error(jacobian, numeric))
'''

HESSIAN = '''
loss, gradient = call(loss_and_gradient, values)
numeric = differences(lambda point: call(loss_and_gradient, point)[0], values, WRT, WRT in SYMMETRIC)
errors.append(error(gradient[WRT], numeric))
matrix = numpy.asarray(call(hessian, values), dtype=float)
numeric = differences(lambda point: call(loss_and_gradient, point)[1][WRT], values, WRT, False)
errors.append(error(matrix, numeric))
direction = rng.standard_normal(matrix.shape[1])
errors.append(error(call(hessian_vector_product, values, direction), matrix @ direction))
'''

REPORT = '''
worst = max(errors)
print(f"largest relative error against central differences: {worst:.1e}")
raise SystemExit(0 if worst < 1e-5 else 1)
'''


def script_check(module: Module, target: Target) -> str:
    shapes = {item.name: tuple((dim.coef, dim.names) for dim in
                               ([] if item.kind == "scalar" else [item.rows] + ([item.cols] if item.kind == "matrix" else [])))
              for item in module.inputs}
    symmetric = {i.name for i in module.inputs if "symmetric" in i.data or "definite" in i.data}
    body = {"gradient": GRADIENT, "jacobian": JACOBIAN, "hessian": HESSIAN}[module.kind]
    defined = {"gradient": "finite(*call(loss_and_gradients, values))",
               "jacobian": "finite(*call(value_and_jacobian, values))",
               "hessian": "finite(*call(loss_and_gradient, values), call(hessian, values))"}[module.kind]
    code = (CHECK.replace("DEFINED", defined).replace("SIZES", repr(module.sizes))
            .replace("SHAPES", repr(shapes)).replace("KINDS", repr({i.name: i.data for i in module.inputs}))
            .replace("NAMES", repr(tuple(i.name for i in module.inputs)))
            + body.replace("SYMMETRIC", repr(sorted(symmetric))).replace("WRT", repr(module.wrt[0]))
            .replace("NUMERATOR", repr(module.layout == "numerator"))
            + REPORT)
    setup = "\n".join(target.check_setup)
    return 'if __name__ == "__main__":\n' + textwrap.indent("import numpy\n" + setup + "\n" + code.strip("\n"), "    ")
