"""The NumPy target: NumPy has no softmax or stable σ, so the module carries
small helpers for them (only those it uses)."""

from .common import ATOM, LOWEST, LOGDET, COMMUTE, KRON_APPLY, STEP, Target, array_library, call, entrywise

HELPERS = {
    "_sigmoid": '''def _sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z}) without overflow: e^{-|z|} is at most 1."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))''',
    "_log_sigmoid": '''def _log_sigmoid(z):
    """log σ(z) = -log(1 + e^{-z}), finite for any z (log of a rounded σ is not)."""
    return -np.logaddexp(0, -z)''',
    "_softmax": '''def _softmax(z):
    """Softmax of each column, shifted by the column's largest entry (finite for any z)."""
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)''',
    "_log_softmax": '''def _log_softmax(z):
    """log softmax of each column: z - logsumexp(z), shifted (finite for any z)."""
    shifted = z - z.max(axis=0)
    return shifted - np.log(np.exp(shifted).sum(axis=0))''',
    "_logsumexp": '''def _logsumexp(z):
    """log 1^T exp(z) of each column, shifted by its largest entry."""
    top = z.max(axis=0)
    return top + np.log(np.exp(z - top).sum(axis=0))''',
    "_step": STEP.format(cast="astype"),
    "_commute": COMMUTE.format(swap="swapaxes"),
    "_logdet": LOGDET.format(p="np"),
    "_kron_apply": KRON_APPLY.format(moveaxis="np.moveaxis", tensordot="np.tensordot", axes="axes"),
}

# out= forms of the entrywise statements (inplace.py: a value that dies lends its array)
IN_PLACE = {"add": "np.add({0}, {1}, out={out})", "sub": "np.subtract({0}, {1}, out={out})",
            "mul": "np.multiply({0}, {1}, out={out})", "div": "np.divide({0}, {1}, out={out})",
            "neg": "np.negative({0}, out={out})", "pow": "np.power({0}, {1}, out={out})",
            "relu": "np.maximum({0}, 0, out={out})", "softplus": "np.logaddexp(0, {0}, out={out})"} \
    | {name: f"np.{name}({{0}}, out={{out}})" for name in ("exp", "log", "sin", "cos", "tan", "tanh", "sqrt", "abs", "sign")}

NUMPY = Target(
    name="numpy",
    imports=("import numpy as np",),
    prefix="np",
    templates=array_library("np") | {
        "softmax": call("_softmax"), "log_softmax": call("_log_softmax"), "logsumexp": call("_logsumexp"),
        "sumsq": ("np.vdot({0}, {0})", ATOM, (LOWEST,)),      # one pass, no squared copy
    },
    functions=entrywise("np") | {
        "sigmoid": "_sigmoid({0})", "log_sigmoid": "_log_sigmoid({0})", "softplus": "np.logaddexp(0, {0})",
        "relu": "np.maximum({0}, 0)", "step": "_step({0})",
    },
    helpers=HELPERS,
    check_setup=("def to_array(value):", "    return value"),
    in_place=IN_PLACE,
)
