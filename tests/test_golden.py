"""Golden typesetting: the LaTeX and Markdown of a handful of derivations, as
a reader sees them, kept in tests/golden/ (SPEC §9). A change to the printers
shows up here as a diff to review; each derivation is also checked numerically.

To accept a deliberate change: MATCALC_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest

import matcalc

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("MATCALC_UPDATE_GOLDEN") == "1"

CASES = {
    "mission": (matcalc.derive, "-y^T log(softmax(W2 sigma(W1 x)))", "W1", "y: probability vector"),
    "backprop_mlp": (matcalc.derive, "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))",
                     "all", "x, y: data; y: probability vector"),
    "batch_norm": (matcalc.derive, "mu = mean(x); c = x - mu 1; s2 = mean(c ⊙ c); xh = c / sqrt(s2 + eps); "
                                   "l = w^T (gamma xh + beta 1)", "x, gamma, beta", "eps: scalar; w: data"),
    "hessian": (matcalc.hessian, "x^T A x + sqrt(x^T x)", "x", None),
    "jacobian": (matcalc.jacobian, "X^T A X", "X", None),
    "trace_quadratic": (matcalc.derive, "tr(X A X^T B)", "X", None),
    # the same problem by the other two methods (SPEC §3 "Three methods")
    "mission_index": (partial(matcalc.derive, method="index"), "-y^T log(softmax(W2 sigma(W1 x)))", "W1",
                      "y: probability vector"),
    "mission_vec": (partial(matcalc.derive, method="vec"), "-y^T log(softmax(W2 sigma(W1 x)))", "W1",
                    "y: probability vector"),
    "jacobian_index": (partial(matcalc.jacobian, method="index"), "X^T A X", "X", None),
}
OUTPUTS = {"tex": lambda d: d.latex(steps=True), "md": lambda d: d.markdown()}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("suffix", OUTPUTS)
def test_typesetting_matches_its_golden_file(case, suffix):
    function, expression, wrt, where = CASES[case]
    derivation = function(expression, wrt=wrt, where=where)
    assert derivation.check() < 1e-6
    printed = OUTPUTS[suffix](derivation) + "\n"
    path = GOLDEN / f"{case}.{suffix}"
    if UPDATE:
        path.write_text(printed, encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}: run with MATCALC_UPDATE_GOLDEN=1 and review it"
    assert printed == path.read_text(encoding="utf-8"), (
        f"{path.name} changed; review the diff and run with MATCALC_UPDATE_GOLDEN=1 to accept it")
