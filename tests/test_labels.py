"""The answer's label says what it is, in every format (SPEC §2, §9): text, LaTeX, Markdown, JSON, CLI."""

import json
import re

import pytest

import matcalc

MLP = "-y^T log(softmax(W2 sigma(W1 x)))"


def _problem(kind, expr, wrt, where="", **options):
    return {"kind": kind, "expr": expr, "wrt": wrt, "where": where, "options": options}


# id -> (problem, text label, LaTeX label)
LABELS = {
    "gradient-vector": (_problem("derive", "x^T A x", "x"),
                        "∂l/∂x", r"\frac{\partial l}{\partial x}"),
    "gradient-W1-mlp": (_problem("derive", MLP, "W1", "y: probability vector"),
                        "∂l/∂W1", r"\frac{\partial l}{\partial W_{1}}"),
    "gradient-numerator": (_problem("derive", "a^T X b", "X", layout="numerator"),
                           "∂l/∂X^T", r"\frac{\partial l}{\partial X^\top}"),
    "jacobian-vector": (_problem("jacobian", "sigma(W x)", "x"),
                        "∂f/∂x^T", r"\frac{\partial f}{\partial x^\top}"),
    "jacobian-matrix": (_problem("jacobian", "A X B", "X"),
                        "∂vec(F)/∂vec(X)^T",
                        r"\frac{\partial \operatorname{vec} F}{\partial \operatorname{vec}(X)^\top}"),
    "hessian-vector": (_problem("hessian", "x^T A x", "x"),
                       "∂²l/∂x∂x^T", r"\frac{\partial^2 l}{\partial x\, \partial x^\top}"),
    "hessian-matrix": (_problem("hessian", "tr(X A X^T)", "X"),
                       "∂²l/∂vec(X)∂vec(X)^T",
                       r"\frac{\partial^2 l}{\partial \operatorname{vec} X\, \partial \operatorname{vec}(X)^\top}"),
}
# id -> what json's label must say beyond text and latex
JSON_LABEL_FIELDS = {
    "gradient-vector": {"kind": "gradient", "function": "l", "wrt": "x", "layout": "mixed"},
    "gradient-W1-mlp": {"kind": "gradient", "function": "l", "wrt": "W1", "layout": "mixed"},
    "gradient-numerator": {"kind": "gradient", "layout": "numerator"},
    "jacobian-vector": {"kind": "jacobian"},
    "jacobian-matrix": {"kind": "jacobian"},
    "hessian-vector": {"kind": "hessian"},
    "hessian-matrix": {"kind": "hessian"},
}
IDS = list(LABELS)


def derivation(problem):
    run = getattr(matcalc, problem["kind"])
    return run(problem["expr"], wrt=problem["wrt"], where=problem["where"], **problem["options"])


@pytest.fixture(scope="module")
def derived():
    """Each problem derived once; every test reads its strings, then checks its numbers."""
    return {name: derivation(problem) for name, (problem, _, _) in LABELS.items()}


def answer_line(text):
    """The answer block is the last paragraph of the text; its first line is the answer."""
    return text.rstrip("\n").split("\n\n")[-1].splitlines()[0]


@pytest.mark.parametrize("name", IDS)
def test_derivation_is_numerically_right(derived, name):
    assert derived[name].check() < 1e-6


@pytest.mark.parametrize("name", IDS)
def test_text_answer_line_starts_with_label(derived, name):
    _, text_label, _ = LABELS[name]
    line = answer_line(derived[name].text())
    assert line.startswith(text_label + " = "), line
    assert derived[name].check() < 1e-6


def test_numerator_layout_is_not_glued_onto_the_label(derived):
    text = derived["gradient-numerator"].text()
    assert answer_line(text).startswith("∂l/∂X^T = ")
    assert not re.search(r"∂l/∂X(\^T)?\s*\(numerator layout\)", text), text
    assert derived["gradient-numerator"].check() < 1e-6


@pytest.mark.parametrize("name", IDS)
def test_latex_answer_starts_with_label(derived, name):
    _, _, latex_label = LABELS[name]
    latex = derived[name].latex()
    assert latex.startswith(latex_label + " = "), latex
    assert derived[name].check() < 1e-6


@pytest.mark.parametrize("name", IDS)
def test_latex_steps_last_line_carries_label(derived, name):
    _, _, latex_label = LABELS[name]
    block = derived[name].latex(steps=True).strip()
    assert block.startswith(r"\begin{align*}") and block.endswith(r"\end{align*}")
    lines = [line for line in block.splitlines()[1:-1] if line.strip()]
    assert latex_label in lines[-1], lines[-1]
    assert derived[name].check() < 1e-6


@pytest.mark.parametrize("name", IDS)
def test_latex_steps_have_no_plain_text_label(derived, name):
    """No text-label characters (∂, ², ^T) leak into the LaTeX of any step."""
    block = derived[name].latex(steps=True)
    assert "∂" not in block and "²" not in block and "^T" not in block, block
    assert derived[name].check() < 1e-6


@pytest.mark.parametrize("name", IDS)
def test_markdown_opens_with_the_labelled_answer_as_math(derived, name):
    latex_label = LABELS[name][2]
    markdown = derived[name].markdown()
    math = [line for line in markdown.splitlines() if line.startswith("$$")]
    assert markdown.startswith(math[0]), markdown.splitlines()[0]
    assert "`" not in markdown, "every step is math, not code"
    assert math and math[0].startswith("$$" + latex_label), math[:1]
    assert derived[name].check() < 1e-6


@pytest.mark.parametrize("name", IDS)
def test_json_label_object(derived, name):
    _, text_label, latex_label = LABELS[name]
    label = derived[name].json().get("label")
    expected = {"text": text_label, "latex": latex_label, **JSON_LABEL_FIELDS[name]}
    assert isinstance(label, dict), f"no label object in json (keys {sorted(derived[name].json())})"
    assert {key: label.get(key) for key in expected} == expected
    assert derived[name].check() < 1e-6


def test_json_gradient_label_exactly(derived):
    assert derived["gradient-vector"].json()["label"] == {
        "text": "∂l/∂x", "latex": r"\frac{\partial l}{\partial x}", "kind": "gradient",
        "function": "l", "wrt": "x", "layout": "mixed"}
    assert derived["gradient-vector"].check() < 1e-6


TEMPLATE_PROBLEMS = {**{name: problem for name, (problem, _, _) in LABELS.items()},
                     "program": _problem("derive", "a1 = W1 x; h1 = sigma(a1); l = sum(h1)", "W1")}


@pytest.mark.parametrize("name", list(TEMPLATE_PROBLEMS))
def test_json_has_no_unfilled_template(name):
    d = derivation(TEMPLATE_PROBLEMS[name])
    serialized = json.dumps(d.json(), ensure_ascii=False)
    # a str.format field left unfilled; W_{1}, x^{2}, \mathbf{1}, \frac{1}{2} are LaTeX, not templates
    leftovers = re.findall(r".{0,30}(?<![A-Za-z_^}])\{\d+\}.{0,10}", serialized)
    assert not leftovers, leftovers
    assert d.check() < 1e-6


CLI_CASES = ["gradient-vector", "gradient-numerator", "jacobian-matrix", "hessian-vector"]


def cli_args(problem, fmt):
    args = [problem["kind"], problem["expr"], "--wrt", problem["wrt"], "--format", fmt]
    if problem["where"]:
        args += ["--where", problem["where"]]
    if "layout" in problem["options"]:
        args += ["--layout", problem["options"]["layout"]]
    return args


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_latex_carries_label(run_cli, derived, name):
    problem, _, latex_label = LABELS[name]
    status, out, err = run_cli(*cli_args(problem, "latex"))
    assert status in (0, None), err
    assert latex_label in out, out
    assert derived[name].check() < 1e-6


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_json_carries_label_object(run_cli, derived, name):
    problem, text_label, latex_label = LABELS[name]
    status, out, err = run_cli(*cli_args(problem, "json"))
    assert status in (0, None), err
    label = json.loads(out).get("label")
    expected = {"text": text_label, "latex": latex_label, **JSON_LABEL_FIELDS[name]}
    assert isinstance(label, dict), "no label object in CLI json"
    assert {key: label.get(key) for key in expected} == expected
    assert derived[name].check() < 1e-6


@pytest.mark.parametrize("cls", ["Label", "Step", "Outcome"])
def test_labels_and_steps_are_made_by_the_one_write_initializer(cls):
    """A derivation makes a label and a step per line: their frozen dataclasses
    take language/records.quick_init's __init__ (the fields written into the
    instance dict at once), and stay what a frozen dataclass is."""
    from dataclasses import FrozenInstanceError, fields, replace

    from matcalc.calculus import steps
    from matcalc.language import ast as A, records
    made = getattr(steps, cls)
    assert made.__init__.__module__ == records.__name__, f"{cls} is made by the dataclass's own __init__"
    label = steps.Label(steps.GRADIENT, "l", "x", wrt_is_matrix=True)
    x = A.Symbol("x")
    value = {"Label": label, "Step": steps.Step("identify", label, x, note="n"),
             "Outcome": steps.Outcome(x, None, (), (), None, label)}[cls]
    assert {f.name for f in fields(made)} == set(vars(value))        # every field set, nothing else
    assert replace(value) == value and hash(replace(value)) == hash(value)
    with pytest.raises(FrozenInstanceError):
        setattr(value, fields(made)[0].name, "other")          # frozen still
