"""``--compare`` and ``--compare-steps`` on the command line, and ``compare=``
on the page's API (SPEC §10): exit status 0 equal, 1 different, 2 bad input."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from webserver import server  # noqa: F401  (the session fixture)


def test_done_means_2_a_x_is_symmetric_only_with_a_witness(run_cli):
    status, out, err = run_cli("derive", "x^T A x", "--wrt", "x", "--compare", "2 A x")
    assert status == 1, err
    derivation, verdict = out.rsplit("\n\n", 1)
    assert "∂l/∂x = (A + A^T) x" in derivation and "identify" in derivation      # the derivation first
    assert verdict.startswith("Different (symmetric-only)") and "A is symmetric" in verdict
    assert re.search(r"A = \[\[-?\d+, -?\d+\], \[-?\d+, -?\d+\]\]", verdict)


def test_done_means_a_x_plus_a_t_x_is_equal(run_cli):
    status, out, _ = run_cli("derive", "x^T A x", "--wrt", "x", "--compare", "A x + A^T x")
    assert status == 0
    assert "Equal: A x + A^T x" in out and "also symbolically" in out


@pytest.mark.parametrize("candidate, message", [("A x +", "syntax error"), ("B x", "not a symbol"),
                                                ("A + x", "shapes differ")])
def test_bad_candidate_exits_2_without_traceback(run_cli, candidate, message):
    status, out, err = run_cli("derive", "x^T A x", "--wrt", "x", "--compare", candidate)
    assert status == 2 and message in err and "Traceback" not in err
    assert out == ""


def test_a_candidate_starting_with_minus(run_cli):
    status, out, _ = run_cli("derive", "x^T A x", "--wrt", "x", "--compare", "-A x - A^T x", "--no-steps")
    assert status == 1 and "Different (sign)" in out


def test_json_carries_the_verdict(run_cli):
    status, out, _ = run_cli("derive", "x^T A x", "--wrt", "x", "--compare", "A x", "--format", "json")
    data = json.loads(out)
    assert status == 1
    assert data["compare"]["kind"] == "missing-term" and data["compare"]["detail"] == "A^T x"
    assert data["answer"]["text"] == "(A + A^T) x"


def test_jacobian_and_hessian_compare(run_cli):
    assert run_cli("jacobian", "A x", "--wrt", "x", "--compare", "A^T")[0] == 1
    assert run_cli("hessian", "x^T A x", "--wrt", "x", "--compare", "A + A^T")[0] == 0


def test_several_wrt_symbols_cannot_compare_one_answer(run_cli):
    status, _, err = run_cli("derive", "a = W x + b; l = ||a||^2", "--wrt", "W,b", "--compare", "x")
    assert status == 2 and "one wrt symbol" in err


# ---------------------------------------------------------------- a whole hand derivation

RIGHT = """\
l = x^T A x
dl = dx^T A x + x^T A dx
   = x^T A^T dx + x^T A dx
dl = x^T (A + A^T) dx
∂l/∂x = (A + A^T) x
"""


def steps(run_cli, tmp_path, text: str, *extra: str):
    path = tmp_path / "steps.txt"
    path.write_text(text, encoding="utf-8")
    return run_cli("derive", "x^T A x", "--wrt", "x", "--compare-steps", str(path), "--no-steps", *extra)


def test_steps_that_follow(run_cli, tmp_path):
    status, out, err = steps(run_cli, tmp_path, RIGHT)
    assert status == 0, err
    assert "Every line follows from the one before (5 lines)" in out and "Equal:" in out


def test_the_first_wrong_differential_line_is_named(run_cli, tmp_path):
    wrong = RIGHT.replace("   = x^T A^T dx + x^T A dx", "   = 2 x^T A dx")
    status, out, _ = steps(run_cli, tmp_path, wrong)
    assert status == 1
    assert "Line 3 does not follow from the one before: = 2 x^T A dx" in out
    assert "differ as functions of dx" in out and "it holds only if A is symmetric" in out


def test_a_wrong_first_differential_is_named(run_cli, tmp_path):
    status, out, _ = steps(run_cli, tmp_path, "dl = x^T A dx\n∂l/∂x = A^T x\n")
    assert status == 1 and "Line 1 does not follow" in out


def test_a_wrong_answer_line_is_named_with_the_mistake(run_cli, tmp_path):
    status, out, _ = steps(run_cli, tmp_path, RIGHT.replace("∂l/∂x = (A + A^T) x", "dl/dx = (A + A^T)^T x + x"))
    assert status == 1
    assert "Line 5 does not follow" in out and "missing-term" in out


def test_steps_in_json(run_cli, tmp_path):
    status, out, _ = steps(run_cli, tmp_path, RIGHT.replace("dl = x^T (A + A^T) dx", "dl = -x^T (A + A^T) dx"),
                           "--format", "json")
    data = json.loads(out)
    assert status == 1 and data["compare_steps"]["first_wrong"] == 4
    assert "-1 times" in data["compare_steps"]["lines"][-1]["why"]


def test_a_program_step_by_step(run_cli, tmp_path):
    path = tmp_path / "steps.txt"
    path.write_text("da = W dx\nh = sigma(a)\ndh = h .* (1 - h) .* da\ndl = y^T dh\n"
                    "dl/dx = W^T (y .* h .* (1 - h))\n", encoding="utf-8")
    status, out, err = run_cli("derive", "a = W x; h = sigma(a); l = y^T h", "--wrt", "x",
                           "--compare-steps", str(path), "--no-steps")
    assert status == 0, out + err


@pytest.mark.parametrize("text, message", [("dl x^T A dx\n", "is not 'lhs = rhs'"),
                                           ("q = x\n", "'q' is none of"),
                                           ("dl = dz\n", "not a symbol")])
def test_an_unreadable_steps_file_exits_2(run_cli, tmp_path, text, message):
    status, _, err = steps(run_cli, tmp_path, text)
    assert status == 2 and message in err


def test_a_missing_steps_file_exits_2(run_cli, tmp_path):
    status, _, err = run_cli("derive", "x^T A x", "--wrt", "x", "--compare-steps", str(tmp_path / "none"))
    assert status == 2 and "cannot read the steps file" in err


# ---------------------------------------------------------------- the page

def test_api_returns_the_verdict(server):
    response = httpx.get(server.url + "/api/derive", params={"expr": "x^T A x", "wrt": "x", "compare": "2 A x"},
                         timeout=300)
    assert response.status_code == 200
    assert response.json()["compare"]["kind"] == "symmetric-only"


def test_api_unreadable_candidate_is_400(server):
    response = httpx.get(server.url + "/api/derive", params={"expr": "x^T A x", "wrt": "x", "compare": "A x +"},
                         timeout=300)
    assert response.status_code == 400 and "syntax error" in response.json()["error"]["message"]


def test_the_page_has_a_my_answer_field(server):
    page = httpx.get(server.url + "/", timeout=120).text
    assert 'id="compare"' in page and 'id="compare-result"' in page


def test_the_page_shows_the_verdict_beside_the_derivation(server):
    """In Chromium: 'my answer' filled in, the verdict appears under the answer, and the link keeps it."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from test_browser import Watched, chromium_path, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        except Exception as error:
            pytest.skip(f"chromium cannot be launched: {str(error).splitlines()[0]}")
        page = browser.new_page()
        watched = Watched(page, server.url)
        page.goto(server.url + "/")
        page.fill("#expr", "x^T A x")
        page.fill("#wrt", "x")
        page.fill("#compare", "2 A x")
        page.click("#derive")
        page.wait_for_selector("#compare-result", state="visible", timeout=120_000)
        shown = page.locator("#compare-result")
        assert shown.get_attribute("class") == "bad"
        assert "symmetric-only" in shown.inner_text() and "Witness" in shown.inner_text()
        assert "compare=2+A+x" in page.url or "compare=2%20A%20x" in page.url
        page.fill("#compare", "A x + A^T x")
        page.click("#derive")
        page.wait_for_function("document.getElementById('compare-result').className === 'ok'", timeout=120_000)
        assert shown.inner_text().startswith("Equal")
        page.fill("#compare", "")
        page.click("#derive")
        page.wait_for_selector("#compare-result", state="hidden", timeout=120_000)
        browser.close()
        assert watched.problems == []


def test_an_answer_line_of_another_derivative_is_refused(run_cli, tmp_path):
    status, _, err = steps(run_cli, tmp_path, "∂l/∂A = x x^T\n")
    assert status == 2 and "is not ∂l/∂x" in err


def test_a_wrong_step_is_shown_matcalcs_step_with_its_rules(run_cli, tmp_path):
    wrong = RIGHT.replace("   = x^T A^T dx + x^T A dx", "   = tr(dx^T A x) + tr(x^T A dx)\n   = 2 tr(x^T A dx)")
    status, out, _ = steps(run_cli, tmp_path, wrong)
    assert status == 1 and "Line 4 does not follow" in out
    assert "matcalc's step here is dl = tr(x^T A^T dx) + tr(x^T A dx) (trace-transpose, transpose-product)" in out


MLP_STEPS = """\
dl = (s - y)^T da2
da2 = W2 dh1
dh1 = h1 .* (1 - h1) .* da1
da1 = dW1 x
dl = (s - y)^T W2 (h1 .* (1 - h1) .* (dW1 x))
   = tr(((W2^T (s - y)) .* h1 .* (1 - h1))^T dW1 x)
   = tr(x ((W2^T (s - y)) .* h1 .* (1 - h1))^T dW1)
∂l/∂W1 = ((W2^T (s - y)) .* h1 .* (1 - h1)) x^T
"""


@pytest.mark.parametrize("wrong_line, mistake", [
    (0, ""),
    (6, ("   = tr(((W2^T (s - y)) .* h1 .* (1 - h1))^T dW1 x)", "   = tr(((W2^T (s - y)) .* h1)^T dW1 x)")),
    (3, ("dh1 = h1 .* (1 - h1) .* da1", "dh1 = h1 .* da1")),
])
def test_the_seed_backprop_by_hand(run_cli, tmp_path, wrong_line, mistake):
    """The seeds' derivation of ∂l/∂W1, line by line: differentials of the program's names
    (da2, dh1) are checked against their definitions, small as they are at some points."""
    path = tmp_path / "steps.txt"
    path.write_text(MLP_STEPS.replace(*mistake) if mistake else MLP_STEPS, encoding="utf-8")
    status, out, err = run_cli("derive", "a1 = W1 x; h1 = sigma(a1); a2 = W2 h1; s = softmax(a2); l = -y^T log(s)",
                               "--wrt", "W1", "--where", "y: probability vector", "--compare-steps", str(path),
                               "--no-steps")
    if not wrong_line:
        assert status == 0 and "Every line follows from the one before (8 lines)" in out, out + err
    else:
        assert status == 1 and f"Line {wrong_line} does not follow" in out, out + err
