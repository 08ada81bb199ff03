"""The web page in a real browser (SPEC §9): Chromium driven by Playwright
against the session's ``matcalc serve`` (``tests/webserver.py``).

The mission example typed into the form is derived and typeset (KaTeX, no
error boxes), with every step and its rule, the check figure and the LaTeX to
copy; the URL then carries the query string and reloading it gives the same
derivation; a backward pass shows its equations, a Hessian is asked for with
the kind menu, bad input shows its caret.  The page never logs an error and
never asks another host for anything.  Full-page screenshots go to
``$MATCALC_ARTIFACTS`` (default ``test-artifacts/`` in the repository).

Skipped, with the reason, when Playwright or a Chromium cannot be found or launched.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest

from webserver import REPO, server  # noqa: F401  (the session fixture)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

MLP = "-y^T log(softmax(W2 sigma(W1 x)))"
MLP_WHERE = "y: probability vector"
BACKPROP = "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))"
BACKPROP_WHERE = "y: probability vector; x, y: data"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 120_000            # for one derivation to appear (far above its time, on a busy machine)


def artifacts() -> Path:
    directory = Path(os.environ.get("MATCALC_ARTIFACTS", REPO / "test-artifacts"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def chromium_path() -> str | None:
    """A Chromium to drive: $PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH, else one on PATH,
    else None (Playwright's own download, if it has one)."""
    for variable in ("PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH", "CHROMIUM", "CHROME_BIN"):
        if os.environ.get(variable) and Path(os.environ[variable]).exists():
            return os.environ[variable]
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="module")
def browser():
    try:
        playwright = sync_api.sync_playwright().start()
    except Exception as error:  # no driver for this platform, etc.
        pytest.skip(f"playwright cannot start: {error}")
    path = chromium_path()
    try:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
    except Exception as error:
        playwright.stop()
        pytest.skip(f"playwright cannot launch chromium ({path or 'its own download'}): "
                    f"{str(error).splitlines()[0]}")
    try:
        yield launched
    finally:
        launched.close()
        playwright.stop()


class Watched:
    """A page and what went wrong on it: console errors, uncaught exceptions,
    failed requests and requests to another host."""

    def __init__(self, page, origin: str):
        self.page = page
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(
            f"request failed: {request.url} ({request.failure})"))
        page.on("request", lambda request: request.url.startswith((origin, "data:", "blob:"))
                or self.problems.append(f"request to another host: {request.url}"))

    # The page has no icon, so the browser's own request for /favicon.ico is
    # a 404 and Chromium logs it as a console error.  That is not the page's
    # script failing; every other error is.
    IGNORED = ("/favicon.ico",)

    def _console(self, message):
        url = (message.location or {}).get("url", "")
        if message.type == "error" and not url.endswith(self.IGNORED):
            self.problems.append(f"console error: {message.text} ({url})")


@pytest.fixture
def watched(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watch = Watched(page, server.url)
    try:
        yield watch
        assert watch.problems == []
    finally:
        context.close()


def api(server, **query) -> dict:
    response = httpx.get(server.url + "/api/derive", params=query, timeout=600)
    assert response.status_code == 200, response.text
    return response.json()


def derive_in_form(page, expr: str, wrt: str, where: str = "", kind: str | None = None):
    page.fill("#expr", expr)
    page.fill("#wrt", wrt)
    page.fill("#where", where)
    if kind:
        page.select_option("#kind", kind)
    page.click("#derive")
    page.wait_for_selector("#result", state="visible")


def assert_typeset(page):
    """Every math element rendered by KaTeX, none of them an error box."""
    assert page.locator("#answer .katex").count() >= 1
    assert page.locator(".katex-error").count() == 0, page.locator(".katex-error").first.get_attribute("title")
    assert page.locator("#status").inner_text().strip() == ""
    assert page.locator("#latex").input_value().startswith("\\begin{align*}")


def page_rules(page) -> list[str]:
    return page.locator("#steps tr.step td.rule span.rule").all_inner_texts()


def api_rules(data) -> list[str]:
    return [rule for step in data["steps"] for rule in step["rules"]]


def test_mission_example(watched, server):
    page = watched.page
    page.goto(server.url + "/")
    assert page.locator("#result").is_hidden() and page.locator("#error").is_hidden()
    derive_in_form(page, MLP, "W1", MLP_WHERE)
    assert_typeset(page)
    data = api(server, expr=MLP, wrt="W1", where=MLP_WHERE)

    steps = page.locator("#steps tr.step")
    assert steps.count() >= 10 and steps.count() == len(data["steps"])
    for row in (steps.first, steps.last):
        assert row.locator("td.lhs").count() == row.locator("td.expr").count() == row.locator("td.rule").count() == 1
    assert page.locator("#steps td.expr .katex").count() == len(data["steps"])
    rules = page_rules(page)
    assert rules == api_rules(data)
    assert {"d-logsoftmax", "hadamard-swap"} <= set(rules)

    check = page.locator("#check-result")
    assert check.get_attribute("class") == "ok"
    assert "relative error" in check.inner_text()
    assert page.locator("#latex").input_value() == data["latex"]
    assert page.locator("#equations-section").is_hidden()      # one wrt: no backprop table
    assert "W1" in page.locator("#shapes").inner_text()

    # The URL reproduces the derivation.
    query = parse_qs(urlparse(page.url).query)
    assert query["expr"] == [MLP] and query["wrt"] == ["W1"] and query["where"] == [MLP_WHERE]
    answer, latex = page.locator("#answer").inner_html(), page.locator("#latex").input_value()
    page.screenshot(path=str(artifacts() / "mission-example.png"), full_page=True)
    page.reload()
    page.wait_for_selector("#result", state="visible")
    assert page.locator("#expr").input_value() == MLP and page.locator("#wrt").input_value() == "W1"
    assert page.locator("#answer").inner_html() == answer
    assert page.locator("#latex").input_value() == latex
    assert page_rules(page) == rules
    assert_typeset(page)


def test_a_link_derives_at_once(watched, server):
    page = watched.page
    page.goto(server.url + "/?" + urlencode({"expr": "x^T A x", "wrt": "x", "check": "1"}))
    page.wait_for_selector("#result", state="visible")
    assert_typeset(page)
    assert page.locator("#expr").input_value() == "x^T A x"
    assert page.locator("#check").is_checked()
    assert page.locator("#check-result").get_attribute("class") == "ok"


def test_backprop_shows_the_equations(watched, server):
    page = watched.page
    page.goto(server.url + "/")
    derive_in_form(page, BACKPROP, "all", BACKPROP_WHERE)
    assert_typeset(page)
    data = api(server, expr=BACKPROP, wrt="all", where=BACKPROP_WHERE)
    assert page.locator("#equations-section").is_visible()
    equations = page.locator("#equations tr.equation")
    assert equations.count() == len(data["equations"]) >= 4
    assert page.locator("#equations .katex").count() == 2 * len(data["equations"])
    # issue 23: the names matcalc made (s = softmax(a2)) are defined on the page
    assert data["names"] and "where" in page.locator("#answer").inner_text()
    assert page_rules(page) == api_rules(data)
    assert page.locator("#check-result").get_attribute("class") == "ok"
    page.screenshot(path=str(artifacts() / "backprop.png"), full_page=True)


def test_hessian_from_the_kind_menu(watched, server):
    page = watched.page
    page.goto(server.url + "/")
    expression, where = "-y^T log(softmax(W x))", "y: probability vector"
    derive_in_form(page, expression, "x", where, kind="hessian")
    assert_typeset(page)
    data = api(server, expr=expression, wrt="x", where=where, kind="hessian")
    assert data["kind"] == "hessian"
    assert parse_qs(urlparse(page.url).query)["kind"] == ["hessian"]
    assert page.locator("#latex").input_value() == data["latex"]
    assert page_rules(page) == api_rules(data)
    assert page.locator("#check-result").get_attribute("class") == "ok"
    # The label says what it is: a second derivative.
    assert "partial^2" in data["label"]["latex"] or "partial^{2}" in data["label"]["latex"]
    page.screenshot(path=str(artifacts() / "hessian.png"), full_page=True)


def test_bad_input_shows_the_caret(watched, server):
    page = watched.page
    page.goto(server.url + "/")
    derive_in_form(page, "x^T A x", "x")                      # a good answer first: it must go away
    page.fill("#expr", "x^T A +")
    page.click("#derive")
    page.wait_for_selector("#error", state="visible")
    text = page.locator("#error").inner_text()
    assert "syntax error" in text
    assert text.rstrip().splitlines()[-2:] == ["  x^T A +", " " * (2 + len("x^T A +")) + "^"]
    assert page.locator("#result").is_hidden()
    assert page.locator(".katex-error").count() == 0
    # Back goes to the good derivation again (each derivation is a history entry).
    page.go_back()
    page.wait_for_selector("#result", state="visible")
    assert page.locator("#expr").input_value() == "x^T A x"
    assert page.locator("#error").is_hidden()
    assert_typeset(page)
    # The API's status 400 is the expected answer: Chromium's own "Failed to
    # load resource" line for it is the only console error allowed here.
    watched.problems[:] = [problem for problem in watched.problems
                           if not ("status of 400" in problem and "/api/derive?" in problem)]


def test_latex_input_from_the_menu(watched, server):
    """A formula pasted as LaTeX (SPEC §11): the input menu says so, the answer is in its notation."""
    page = watched.page
    page.goto(server.url + "/")
    page.select_option("#input", "latex")                 # x'Ax has no backslash: the menu says LaTeX
    derive_in_form(page, "x'Ax", "x")
    assert_typeset(page)
    assert parse_qs(urlparse(page.url).query)["input"] == ["latex"]
    assert "transpose" in page.locator("#warnings").inner_text()
    data = api(server, expr="x'Ax", wrt="x", input="latex")
    assert page.locator("#latex").input_value() == data["latex"]
    page.select_option("#input", "")                       # detected: a backslash means LaTeX
    derive_in_form(page, "\\mathbf{x}^\\top A \\mathbf{x} + \\mathbf{b}^\\top x", "\\mathbf{x}")
    assert_typeset(page)
    assert "\\mathbf{x}" in page.locator("#latex").input_value()
