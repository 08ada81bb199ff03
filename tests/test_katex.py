"""Every output parses in KaTeX and in LaTeX with amsmath (SPEC §9).

Every LaTeX string matcalc prints for an example (``examples/*.sh`` and
``examples/backprop/*.sh``) or for one of the expressions below, chosen so
that every node kind of ``printers/latex.py`` is printed, is rendered by the
KaTeX that ships in the package (``matcalc/web/static/katex``) in strict mode,
the way the web page renders it, and compiled by a LaTeX engine when one is
installed.  The strings are: ``latex(steps=False)``, ``latex(steps=True)``,
every math segment of ``markdown()`` and every LaTeX field of ``json()``; for
a backward pass also those of each gradient's own derivation.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import traceback
import warnings
from pathlib import Path

import pytest

import matcalc
from matcalc.api import Gradients
from matcalc.printers.latex import to_latex
from matcalc.rewriting.catalog import default_catalog

HERE = Path(__file__).resolve().parent
EXAMPLES = sorted((HERE.parent / "examples").glob("*.sh")) + sorted((HERE.parent / "examples/backprop").glob("*.sh"))
KATEX = Path(matcalc.__file__).resolve().parent / "web" / "static" / "katex" / "katex.min.js"
RENDER = HERE / "katex_render.js"
TEX_ENGINES = ("pdflatex", "lualatex", "xelatex")


def example_call(path: Path) -> tuple:
    """(command, expression, wrt, where, layout) of the example's one
    `matcalc derive|jacobian|hessian "EXPR" --wrt W [--where ...]` line."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    commands = [line for line in lines if not line.startswith("#")]
    assert len(commands) == 1, f"{path.name}: exactly one command line"
    argv = shlex.split(commands[0])
    assert argv[0] == "matcalc" and argv[1] in ("derive", "jacobian", "hessian"), commands[0]
    named, rest = {}, argv[3:]
    while rest:
        flag, rest = rest[0], rest[1:]
        if rest and not rest[0].startswith("--"):
            named[flag], rest = rest[0], rest[1:]
    return argv[1], argv[2], named["--wrt"], named.get("--where"), named.get("--layout")


# Beyond the examples: every node kind and name form the LaTeX printer knows.
# (id, command, expression, wrt, where, layout)
EXTRAS = [
    ("kron-unvec", "derive", "vec(Y)^T (A ⊗ B) vec(X)", "X", None, None),
    ("hadamard", "derive", "sum(A ⊙ X ⊙ X)", "X", None, None),
    ("elementwise-power", "derive", "sum(X .^ 3)", "X", None, None),
    ("frobenius-norm", "derive", "||X||_F + ||x||", "X", None, None),
    ("tall-norms", "derive", "||x / (a^T a)||^2 + ||X / sum(a)||_F", "x", None, None),
    ("inverse-transpose", "derive", "a^T inv(X) b", "X", None, None),
    ("det-logdet-numerator", "derive", "det(X) + logdet(X)", "X", None, "numerator"),
    ("commutation", "jacobian", "X^T", "X", None, None),
    ("hessian-through-vec", "hessian", "a^T vec(X)", "X", None, None),
    ("hessian-matrix", "hessian", "tr(X^T A X)", "X", None, None),
    ("greek", "derive", "x^T inv(Sigma) x + eps^2 + epsilon sum(x)", "Sigma", None, None),
    ("greek-scalar", "derive", "-1/2 logdet(Sigma2) + eps^2 epsilon - beta ||Phi_1 w||^2", "eps", None, None),
    ("subscripts", "derive", "h2 = tanh(W_1 x_t); l = sum(h2)", "W_1", None, None),
    ("multi-letter", "derive", "xh^T A xh + xh_1^T xh", "xh", None, None),
    ("ones", "derive", "2 1^T x + 1^T X 1", "x", None, None),
    ("sqrt", "derive", "sqrt(x^T x) + sum(sqrt(x))", "x", None, None),
    ("fraction", "derive", "(x^T A x) / (x^T x)", "x", None, None),
    ("negative-fractions", "derive", "-1/3 x^T x + 5/2 a^T x", "x", None, None),
    ("dimensions", "derive", "mean(X) + mean(X ⊙ X)", "X", None, None),
    ("trace-dimension", "derive", "mean(S ⊙ S) + sum(diag(S)) - 3 tr(S) + tr(I)", "S", None, None),
    ("functions", "derive", "sum(sin(x) + cos(x) + tan(x) + abs(x) + relu(x) + softplus(x) + exp(x))", "x",
     None, None),
    ("softmax", "derive", "y^T logsoftmax(W x) + sum(log(softmax(W x)))", "W", None, None),
    ("powers", "derive", "tr(inv(X)^2) + (a^T X a)^{-1} + (a^T X a)^3", "X", None, None),
    ("zero", "hessian", "a^T x", "x", None, None),
    ("identity", "jacobian", "x + b", "x", None, None),
    ("scalar-wrt-jacobian", "jacobian", "alpha X", "alpha", None, None),
    ("numerator-gradient", "derive", "a^T X b", "X", None, "numerator"),
    ("diag-jacobian", "jacobian", "diag(x) A x", "x", None, None),
    ("delta-taken", "derive", "a = W x + delta; l = sum(tanh(a))", "all", "delta: vector", None),
    ("delta-and-Delta-taken", "derive", "a = W x + delta + Delta y; l = sum(tanh(a))", "all", "delta: vector", None),
    ("unicode-greek", "derive", "w^T Φ2 w + ϵ sum(w)", "w", None, None),
    ("rare-names", "derive", "omicron x_t_1^T A x_t_1 + Alpha_1 + sum(Omicron)", "x_t_1", "Alpha_1: scalar", None),
    ("odd-underscores", "derive", "x_^T x + x__1^T x_1_", "x_", None, None),
    # LaTeX input, printed in the user's notation (SPEC §11)
    ("latex-superscript-names", "derive", r"-\mathbf{y}^\top \log \operatorname{softmax}(\mathbf{W}^{(2)} "
     r"\sigma(\mathbf{W}^{(1)} \mathbf{x}))", r"\mathbf{W}^{(1)}", None, "numerator"),
    ("latex-program", "derive", r"\boldsymbol{a}_1 = W_1 \boldsymbol{x} \\ \hat{\boldsymbol{y}} = "
     r"\operatorname{softmax}(\boldsymbol{a}_1) \\ l = -\boldsymbol{y}^T \log \hat{\boldsymbol{y}}", "all", "x, y: data", None),
    ("latex-hessian", "hessian", r"\mathbf{x}^{(1)\top} \boldsymbol{\Sigma}^{-1} \mathbf{x}^{(1)}", "x1", None, None),
    ("latex-jacobian", "jacobian", r"\hat{\mathbf{W}}^{(2)} \mathbf{x}^{*}", r"\hat{\mathbf{W}}^{(2)}", None, None),
]

CASES = {("backprop/" if path.parent.name == "backprop" else "") + path.stem: example_call(path)
         for path in EXAMPLES}
# An example derived by another method than trace (--method index|vec, SPEC §3) is printed by it.
COMMAND_WORDS = {path.stem: shlex.split(path.read_text(encoding="utf-8").splitlines()[-1]) for path in EXAMPLES}
METHOD_OF = {stem: words[words.index("--method") + 1] for stem, words in COMMAND_WORDS.items() if "--method" in words}
CASES.update({"extra/" + id: call for id, *call in EXTRAS})
RULES = "rule-catalog"          # the rules as the printer writes them: pattern variables, ?f(...)


def math_segments(markdown: str) -> list[str]:
    """The `$$...$$` blocks and inline `$...$` of Markdown (code spans aside)."""
    blocks = re.findall(r"\$\$(.+?)\$\$", markdown, re.S)
    rest = re.sub(r"`[^`]*`", "", re.sub(r"\$\$.+?\$\$", "", markdown, flags=re.S))
    return blocks + re.findall(r"\$([^$\n]+)\$", rest)


def latex_fields(data, where="") -> list[tuple[str, str]]:
    """Every ("json()[...]", value) whose key starts with "latex", however nested."""
    if isinstance(data, dict):
        return [found for key, value in data.items()
                for found in ([(f'{where}["{key}"]', value)] if key.startswith("latex") and isinstance(value, str)
                              else latex_fields(value, f'{where}["{key}"]'))]
    if isinstance(data, list):
        return [found for index, value in enumerate(data) for found in latex_fields(value, f"{where}[{index}]")]
    return []


def outputs(rendered, prefix="") -> list[tuple[str, str]]:
    """(where, LaTeX) of everything a Derivation or Gradients prints."""
    found = [(f"{prefix}latex(steps=False)", rendered.latex(steps=False)),
             (f"{prefix}latex(steps=True)", rendered.latex(steps=True))]
    found += [(f"{prefix}markdown() math {i}", s) for i, s in enumerate(math_segments(rendered.markdown()), 1)]
    found += [(f"{prefix}json(){path}", s) for path, s in latex_fields(rendered.json())]
    return found


def printed(case: str) -> list[tuple[str, str]]:
    if case == RULES:
        return [(f"rule {name}", f"{to_latex(rule.lhs)} = {to_latex(rule.rhs)}")
                for name, rule in default_catalog().items()]
    command, expression, wrt, where, layout = CASES[case]
    options = {"where": where} | ({"layout": layout} if layout else {}) | (
        {"method": METHOD_OF[case]} if case in METHOD_OF else {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matcalc.MatcalcWarning)
        result = getattr(matcalc, command)(expression, wrt, **options)
    found = outputs(result)
    if isinstance(result, Gradients):
        for name, derivation in result.items():
            found += outputs(derivation, f"[{name!r}].")
    return found


IDS = list(CASES) + [RULES]


@pytest.fixture(scope="module")
def strings() -> dict:
    """case → [(where, LaTeX)], or the traceback of printing it."""
    found = {}
    for case in IDS:
        try:
            found[case] = printed(case)
        except Exception:                      # reported by that case's test, not by every test
            found[case] = traceback.format_exc()
    return found


def distinct(strings: dict) -> list[str]:
    return sorted({latex for found in strings.values() if isinstance(found, list) for _, latex in found})


def printed_or_fail(strings: dict, case: str) -> list[tuple[str, str]]:
    if isinstance(strings[case], str):
        pytest.fail(f"{case}: printing failed\n{strings[case]}")
    return strings[case]


@pytest.fixture(scope="module")
def katex_errors(request) -> dict:
    """LaTeX → KaTeX's message (None: it renders), from one node process."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node not found; CI installs nodejs")
    assert KATEX.is_file(), f"KaTeX does not ship in the package: {KATEX} is missing"
    todo = distinct(request.getfixturevalue("strings"))
    run = subprocess.run([node, str(RENDER), str(KATEX)], input=json.dumps(todo), capture_output=True,
                         text=True, encoding="utf-8", timeout=120)
    assert run.returncode == 0, run.stderr
    return dict(zip(todo, json.loads(run.stdout), strict=True))


def where_it_fails(latex: str, error: str) -> str:
    """The line of a multi-line string that KaTeX points at (its `position`)."""
    position = re.search(r"at position (\d+)", error)
    if "\n" not in latex or not position:
        return latex if len(latex) <= 400 else latex[:400] + " …"
    offset = int(position.group(1)) - 1
    number = latex.count("\n", 0, offset) + 1
    return f"(line {number}) {latex.splitlines()[number - 1]}"


@pytest.mark.parametrize("case", IDS)
def test_katex_renders_every_string_in_strict_mode(case, katex_errors, strings):
    failures = [f"  {where}: {' '.join(error.split())}\n      {where_it_fails(latex, error)}"
                for where, latex in printed_or_fail(strings, case) if (error := katex_errors[latex])]
    if failures:
        pytest.fail(f"{case}: {len(failures)} strings KaTeX (strict) cannot render:\n" + "\n".join(failures))


def tex_blocks(strings: dict) -> list[tuple[str, list[str]]]:
    """(block, the string's sources) for every distinct string: an align* block
    as it is, anything else in \\[ \\]."""
    sources: dict[str, list[str]] = {}
    for case, found in strings.items():
        if isinstance(found, list):
            for where, latex in found:
                sources.setdefault(latex, []).append(f"{case}: {where}")
    return [(latex if latex.lstrip().startswith(r"\begin{") else rf"\[ {latex} \]", where)
            for latex, where in sources.items()]


def tex_error(engine: str, blocks: list, directory: Path) -> str | None:
    """None if one article of these blocks compiles, else the engine's first error."""
    body = "\n\n".join(block for block, _ in blocks)
    document = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
                f"{body}\n\\end{{document}}\n")
    (directory / "outputs.tex").write_text(document, encoding="utf-8")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "outputs.tex"],
                         cwd=directory, capture_output=True, timeout=300)
    if run.returncode == 0:
        return None
    log = (directory / "outputs.log").read_text(encoding="utf-8", errors="replace")
    found = re.search(r"^! (.*?)$(?:.*?^(l\.\d+ .*?)$)?", log, re.M | re.S)
    return f"{found[1]} {found[2] or ''}".strip() if found else f"exit status {run.returncode}\n{log[-1500:]}"


def failing_blocks(engine: str, blocks: list, directory: Path, limit: int) -> list:
    """The blocks that do not compile, by halving the document (at most ``limit``)."""
    error = tex_error(engine, blocks, directory)
    if error is None:
        return []
    if len(blocks) == 1:
        return [(blocks[0], error)]
    found = failing_blocks(engine, blocks[: len(blocks) // 2], directory, limit)
    if len(found) < limit:
        found += failing_blocks(engine, blocks[len(blocks) // 2:], directory, limit - len(found))
    return found


def test_latex_compiles_every_string(request, tmp_path):
    engine = next((shutil.which(name) for name in TEX_ENGINES if shutil.which(name)), None)
    if engine is None:
        pytest.skip(f"no LaTeX engine ({', '.join(TEX_ENGINES)}) on PATH")
    blocks = tex_blocks(request.getfixturevalue("strings"))
    error = tex_error(engine, blocks, tmp_path)
    if error is None:
        return
    limit = 25
    found = failing_blocks(engine, blocks, tmp_path, limit)       # which strings: compiled apart
    report = [f"  {message}\n      in {'; '.join(where[:3])}\n      {block[:400]}"
              for (block, where), message in found] or [f"  the whole document only: {error}"]
    more = " (the first ones)" if len(found) >= limit else ""
    pytest.fail(f"{Path(engine).name} cannot compile {len(found)} of {len(blocks)} strings{more}:\n"
                + "\n".join(report))
