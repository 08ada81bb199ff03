"""examples/notebook.ipynb runs top to bottom in a fresh kernel, and its
display cells render as rich output (HTML with folded steps, LaTeX, Markdown).

The kernel is the interpreter running pytest: a kernelspec pointing at
``sys.executable`` is written to a temporary directory that ``JUPYTER_PATH``
puts first, so a ``python3`` kernel of some other environment is never used.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install '.[test]')")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install '.[test]')")
kernelspec = pytest.importorskip("ipykernel.kernelspec",
                                 reason="ipykernel is not installed (pip install '.[test]')")

from nbclient.exceptions import CellExecutionError  # noqa: E402

import matcalc  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "notebook.ipynb"
KERNEL = "python3"

MISSION = ("-y^T log(softmax(W2 sigma(W1 x)))", "W1", "y: probability vector")
PROGRAM = "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))"
HESSIAN = ("x^T A x + sqrt(x^T x)", "x")


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after running it from a temporary copy, in a temporary cwd."""
    tmp = tmp_path_factory.mktemp("notebook")
    copy = tmp / NOTEBOOK.name
    shutil.copyfile(NOTEBOOK, copy)

    jupyter = tmp / "jupyter"
    # kernel.json with argv [sys.executable, "-m", "ipykernel_launcher", ...]
    kernelspec.write_kernel_spec(path=jupyter / "kernels" / KERNEL)
    env = {
        "JUPYTER_PATH": str(jupyter),                      # searched before user and system dirs
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),       # connection files
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),         # no user configuration
        "JUPYTER_PLATFORM_DIRS": "1",                      # silences jupyter_core's migration warning
        "IPYTHONDIR": str(tmp / "ipython"),                # no user profile or startup files
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        from jupyter_client.kernelspec import KernelSpecManager
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
        assert spec.argv[0] == sys.executable, spec.argv

        nb = nbformat.read(copy, as_version=4)
        client = nbclient.NotebookClient(nb, timeout=120, kernel_name=KERNEL,
                                         resources={"metadata": {"path": str(tmp)}})
        try:
            client.execute()
        except CellExecutionError as error:
            pytest.fail(f"a notebook cell failed:\n{error}")
    return nb


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def cell_with(nb, text):
    """The one code cell whose source contains ``text``."""
    found = [cell for cell in code_cells(nb) if text in cell.source]
    assert len(found) == 1, f"{len(found)} code cells contain {text!r}"
    return found[0]


def rich(cell):
    """The data of the cell's execute_result (its last expression, displayed)."""
    results = [out for out in cell.outputs if out.output_type == "execute_result"]
    assert len(results) == 1, f"no displayed result in cell:\n{cell.source}"
    return results[0].data


def printed(cell):
    return "".join(out.text for out in cell.outputs
                   if out.output_type == "stream" and out.name == "stdout")


def test_notebook_is_stored_clean():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in code_cells(nb):
        assert cell.outputs == [] and cell.execution_count is None, cell.source


def test_no_cell_errored(executed):
    cells = code_cells(executed)
    assert all(cell.execution_count for cell in cells), "every code cell ran"
    for cell in cells:
        for out in cell.outputs:
            assert out.output_type != "error", f"{out.ename}: {out.evalue}\n{cell.source}"
            assert not (out.output_type == "stream" and out.name == "stderr"), \
                f"stderr from:\n{cell.source}\n{out.text}"


@pytest.mark.parametrize("source, label", [
    ("matcalc.derive(\"-y^T", r"\frac{\partial l}{\partial W_{1}}"),
    ("g = matcalc.derive(program", r"\frac{\partial l}{\partial W_{1}}"),
    ('g["W1"]', r"\frac{\partial l}{\partial W_{1}}"),
    ("matcalc.hessian(", r"\frac{\partial^2 l}{\partial x\, \partial x^\top}"),
])
def test_display_cells_are_rich(executed, source, label):
    data = rich(cell_with(executed, source))
    for mime in ("text/html", "text/latex", "text/markdown"):
        assert mime in data, f"{mime} missing; got {sorted(data)}"
    html = data["text/html"]
    assert "<details>" in html and "</details>" in html
    assert r"\frac{\partial" in html and label in html
    assert label in data["text/latex"]
    assert r"\frac{\partial" in data["text/markdown"]


def test_printed_text_has_the_answer(executed):
    d = matcalc.derive(MISSION[0], wrt=MISSION[1], where=MISSION[2])
    info = d.json()
    answer = f"{info['label']['text']} = {info['answer']['named_text']}"
    written_out = info["answer"]["text"]
    out = printed(cell_with(executed, "print(d.text())"))
    assert answer in out
    assert written_out in out
    assert out.strip() == d.text().strip()


def test_checks_printed(executed):
    for source in ("err = d.check()", "err = g.check()", "err = H.check()"):
        out = printed(cell_with(executed, source))
        assert "relative error" in out and "e-" in out, out


def test_hessian_cell_mentions_its_label(executed):
    info = matcalc.hessian(HESSIAN[0], wrt=HESSIAN[1]).json()["label"]
    data = rich(cell_with(executed, "matcalc.hessian("))
    assert info["latex"] in data["text/html"]
    assert info["latex"] in data["text/latex"]
    assert info["latex"] in data["text/markdown"]          # Markdown is all math (SPEC §9)


def test_backward_pass_lists_every_parameter(executed):
    g = matcalc.derive(PROGRAM, wrt="all", where="x, y: data; y: probability vector")
    out = printed(cell_with(executed, "print(list(g))"))
    assert out.strip() == str(list(g))
    assert set(g) == {"W1", "b1", "W2", "b2"}


def test_latex_printed_for_a_paper(executed):
    d = matcalc.derive(MISSION[0], wrt=MISSION[1], where=MISSION[2])
    out = printed(cell_with(executed, "latex(steps=True)"))
    assert d.latex() in out
    assert d.latex(steps=True) in out
    assert r"\begin{align*}" in out and r"\end{align*}" in out
