"""The page shows the generated code (SPEC §9): a target selector that
re-derives in the chosen library, the address carrying it, a copy button."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from test_browser import browser, derive_in_form, watched  # noqa: E402,F401  (fixtures)
from webserver import server  # noqa: E402,F401  (the session fixture)


def code_text(page) -> str:
    return page.locator("#code-text").text_content()


def test_the_page_shows_the_code_in_the_target_chosen(watched, server):
    page = watched.page
    page.goto(server.url + "/")
    derive_in_form(page, "x^T A x", "x")
    assert "import numpy as np" in code_text(page) and "def loss_and_gradients(x, A):" in code_text(page)
    page.select_option("#code", "torch")
    page.wait_for_function("document.getElementById('code-text').textContent.includes('import torch')")
    assert "def loss_and_gradients(x, A):" in code_text(page) and "code=torch" in page.url
    page.click("#copy-code")
    page.wait_for_function("document.getElementById('status').textContent === 'code copied'")


def test_an_address_without_a_target_shows_the_default_code(watched, server):
    # /?expr=..&wrt=.. reproduces the derivation (SPEC §9), the code panel included
    page = watched.page
    page.goto(server.url + "/?expr=x%5ET%20A%20x&wrt=x")
    page.wait_for_function("document.getElementById('code-text').textContent.includes('def loss_and_gradients')")
    assert "import numpy as np" in code_text(page)
