"""``matcalc serve`` over HTTP (SPEC §9): a real server, started once for the
session (``tests/webserver.py``), asked the way the page asks it.

- ``/`` is the page, and the page works offline: no URL of another host in
  its HTML, script or style, KaTeX served from ``/static``;
- ``GET /api/derive`` returns §5's JSON: what ``matcalc ... --format json``
  prints, for a gradient, a backward pass (``wrt=all``), a Jacobian and a Hessian;
- ``check=1`` adds the numeric check, and its error is small;
- bad input (§6) is status 400 with the CLI's message and caret;
- a derivation past the time limit is stopped, with a clear message, and the
  server goes on serving;
- many concurrent requests are all answered, each with its own answer;
- the server listens on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from matcalc.cli import main as cli_main
from webserver import REPO, impatient_server, server  # noqa: F401  (the session fixtures)

STATIC = REPO / "matcalc" / "web" / "static"
MLP = "-y^T log(softmax(W2 sigma(W1 x)))"
BACKPROP = "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))"
PAGE_ONLY_KEYS = {"kind", "latex", "warnings"}     # what /api/derive adds to the CLI's JSON


def api(server, timeout: float = 600.0, **query) -> httpx.Response:     # waits its turn, however busy
    return httpx.get(server.url + "/api/derive", params=query, timeout=timeout)


def cli_json(capsys, command: str, expression: str, wrt: str, where: str = "", *extra: str):
    """(exit status, parsed stdout, stderr) of ``matcalc COMMAND ... --format json``, run in-process."""
    argv = [command, expression, "--wrt", wrt, "--format", "json", *extra]
    if where:
        argv += ["--where", where]
    capsys.readouterr()
    try:
        status = cli_main(argv)
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, (json.loads(captured.out) if captured.out.strip() else None), captured.err


# ---------------------------------------------------------------- the page


def test_page_is_served(server):
    response = httpx.get(server.url + "/", timeout=120)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for element in ('id="form"', 'id="expr"', 'id="wrt"', 'id="where"', 'id="kind"', 'id="derive"',
                    'id="error"', 'id="result"', 'id="steps"', 'id="latex"'):
        assert element in response.text, element


def test_page_works_offline(server):
    """No CDN: the page's own files name no other host, and KaTeX comes from /static."""
    page = httpx.get(server.url + "/", timeout=120).text
    sources = {"index.html": page}
    for name in ("app.js", "style.css"):
        response = httpx.get(f"{server.url}/static/{name}", timeout=120)
        assert response.status_code == 200, name
        assert response.text == (STATIC / name).read_text(encoding="utf-8"), name
        sources[name] = response.text
    for name, text in sources.items():
        outside = [url for url in re.findall(r"(?:https?:)?//[\w.-]+(?::\d+)?", text)
                   if not re.match(r"(?:https?:)?//(?:127\.0\.0\.1|localhost)\b", url)]
        assert not outside, f"{name} loads from another host: {outside}"
    for asset in ("/static/katex/katex.min.css", "/static/katex/katex.min.js"):
        assert f'"{asset}"' in page, asset
        response = httpx.get(server.url + asset, timeout=120)
        assert response.status_code == 200 and len(response.content) > 10_000, asset
    # KaTeX's fonts, named by its CSS relative to it, are there too.
    css = httpx.get(server.url + "/static/katex/katex.min.css", timeout=120).text
    font = re.search(r"url\((fonts/[^)]+\.woff2)\)", css)
    assert font, "katex.min.css names its fonts"
    assert httpx.get(f"{server.url}/static/katex/{font.group(1)}", timeout=120).status_code == 200


# ---------------------------------------------------------------- the JSON is the CLI's

# id -> (CLI command, API kind, expression, wrt, where)
PROBLEMS = {
    "mlp-W1": ("derive", "gradient", MLP, "W1", "y: probability vector"),
    "backprop-all": ("derive", "gradient", BACKPROP, "all", "y: probability vector; x, y: data"),
    "jacobian-sigmoid-layer": ("jacobian", "jacobian", "sigma(W x)", "x", ""),
    "hessian-softmax-ce": ("hessian", "hessian", "-y^T log(softmax(W x))", "x", "y: probability vector"),
}


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_api_json_is_the_cli_json(server, capsys, name):
    command, kind, expression, wrt, where = PROBLEMS[name]
    response = api(server, expr=expression, wrt=wrt, where=where, kind=kind)
    assert response.status_code == 200, response.text
    data = response.json()
    status, printed, _ = cli_json(capsys, command, expression, wrt, where)
    assert status == 0
    assert data["kind"] == kind
    assert data["latex"].startswith("\\begin{align*}") and data["latex"].rstrip().endswith("\\end{align*}")
    assert isinstance(data["warnings"], list)
    assert {key: value for key, value in data.items() if key not in PAGE_ONLY_KEYS} == printed
    if wrt == "all":                           # the backward pass: every parameter, no data
        assert set(data["gradients"]) == {"W1", "b1", "W2", "b2"}
        assert data["equations"]


def test_check_is_small(server, capsys):
    response = api(server, expr=MLP, wrt="W1", where="y: probability vector", check="1")
    assert response.status_code == 200, response.text
    check = response.json()["check"]
    assert check["ok"] is True
    assert check["max_relative_error"] is not None and 0 <= check["max_relative_error"] < 1e-5
    # Without check=1 there is no check (it costs time).
    assert "check" not in api(server, expr=MLP, wrt="W1", where="y: probability vector").json()
    # The CLI's --check --format json carries the same kind of figure.
    _, printed, _ = cli_json(capsys, "derive", MLP, "W1", "y: probability vector", "--check")
    assert printed["check"]["ok"] is True


# ---------------------------------------------------------------- bad input

# id -> (query, what the message must name); the CLI gets the same problem where it can be asked.
BAD = {
    "syntax": ({"expr": "x^T A +", "wrt": "x"}, "syntax error"),
    "shapes": ({"expr": "W1 x + b", "wrt": "W1", "where": "W1: 3 x 4; x: 5"}, "3×4 but x has length 5"),
    "sum-shapes": ({"expr": "A x + B", "wrt": "x"}, "shapes differ in a sum"),
    "unknown-wrt": ({"expr": "x^T A x", "wrt": "z"}, "'z'"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_400_with_the_cli_message(server, capsys, name):
    query, named = BAD[name]
    response = api(server, **query)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert set(error) == {"kind", "message", "text", "span"}
    assert named in error["message"]
    status, printed, stderr = cli_json(capsys, "derive", query["expr"], query["wrt"], query.get("where", ""))
    assert status == 2
    assert stderr.strip() == f"matcalc: error: {error['text']}".strip()
    assert printed == {"error": error}
    if error["span"] is not None:              # a caret under the offending text
        start, end = error["span"]
        lines = error["text"].splitlines()
        assert lines[-2] == "  " + query["expr"]
        caret = lines[-1]
        assert caret.strip() and set(caret.strip()) == {"^"}
        assert caret.index("^") == 2 + start and len(caret.rstrip()) == 2 + max(end, start + 1)


def test_syntax_error_caret_points_past_the_plus(server):
    error = api(server, expr="x^T A +", wrt="x").json()["error"]
    assert error["kind"] == "ParseError"
    assert "expected" in error["message"]
    assert error["text"].endswith("  x^T A +\n" + " " * (2 + len("x^T A +")) + "^")


@pytest.mark.parametrize("query, named", [
    ({"expr": "", "wrt": "x"}, "empty"),
    ({"expr": "   ", "wrt": "x"}, "empty"),
    ({"expr": "x^T A x", "wrt": "x", "kind": "laplacian"}, "laplacian"),
], ids=["empty", "blank", "unknown-kind"])
def test_page_only_bad_input_is_400(server, query, named):
    response = api(server, **query)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert named in error["message"] and error["text"]


# ---------------------------------------------------------------- limits


def long_product(count: int) -> str:
    """a^T A0 A1 … x: about 1 s of CPU to derive at 3,000 factors, the
    slowest input inside the limits known."""
    return "a^T " + " ".join(f"A{i}" for i in range(count)) + " x"


def test_a_long_derivation_is_stopped_and_the_server_goes_on(impatient_server, server):
    """The limit is 1 ms, the derivation about a second of CPU: stopped on any
    machine, however fast or busy (no assertion on how long anything took)."""
    impatient = impatient_server
    start = time.monotonic()
    response = api(impatient, expr=long_product(3000), wrt="x")
    took = time.monotonic() - start
    assert response.status_code == 400, response.text[:500]
    message = response.json()["error"]["message"]
    assert "stopped" in message and f"{impatient.time_limit:g} s" in message
    assert took >= impatient.time_limit
    # The stopped server goes on serving: it answers the next request (stopped
    # again, or answered if a machine derives it within the limit) ...
    response = api(impatient, expr="x^T A x", wrt="x")
    assert response.status_code == 200 and response.json()["answer"]["text"] == "(A + A^T) x" \
        or response.status_code == 400 and "stopped" in response.json()["error"]["message"]
    # ... and a server with room answers it.
    response = api(server, expr="x^T A x", wrt="x")
    assert response.status_code == 200 and response.json()["answer"]["text"] == "(A + A^T) x"


def test_concurrent_requests_each_get_their_own_answer(server):
    """40 requests at once, each a different problem: all answered, each with its own answer."""
    count = 40
    names = [f"A_{k}" for k in range(count)]

    def ask(name):
        return api(server, expr=f"x^T {name} x", wrt="x")

    with ThreadPoolExecutor(max_workers=count) as pool:
        responses = list(pool.map(ask, names))
    for name, response in zip(names, responses):
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["expression"] == f"x^T {name} x"
        assert data["answer"]["text"] == f"({name} + {name}^T) x"
        assert set(data["shapes"]) == {"x", name}


# ---------------------------------------------------------------- this machine only


def test_serve_help_says_127_0_0_1():
    result = subprocess.run([sys.executable, "-m", "matcalc", "serve", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--host" in result.stdout and "127.0.0.1" in result.stdout


def _outside_address() -> str | None:
    """An IPv4 address of this machine other than loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))       # no packet is sent: this only picks a route
            address = probe.getsockname()[0]
    except OSError:
        address = None
    if address and not address.startswith("127."):
        return address
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            if not info[4][0].startswith("127."):
                return info[4][0]
    except OSError:
        pass
    return None


def test_bound_to_loopback_only(server):
    assert httpx.get(server.url + "/", timeout=120).status_code == 200
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no address other than loopback")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(3)
        with pytest.raises(OSError):
            probe.connect((address, server.port))
