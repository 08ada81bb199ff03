"""The page and its JSON API, as a Starlette app (SPEC §9).

``GET /`` is the page; its query string (``/?expr=...&wrt=W1``) fills the
form and derives at once, so a link reproduces a derivation.
``GET /api/derive?expr=..&wrt=..`` answers with §5's JSON (status 400 and an
``error`` object with the caret text on bad input); with ``&compare=ANSWER``
it carries the verdict on a hand-derived answer (SPEC §10) as ``compare``.
The math is typeset in the browser by the KaTeX that ships in the wheel: no
CDN, works offline.
"""

from __future__ import annotations

from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.requests import Request as HTTPRequest
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import MatcalcError
from ..service import Request, error_json
from .jobs import derive_limited, start

STATIC = Path(__file__).resolve().parent / "static"
CONCURRENT_DERIVATIONS = 4        # child processes at once; further requests wait their turn
_TRUE = ("1", "true", "yes", "on")


def request_from_query(query) -> Request:
    """The derivation a query string asks for; MatcalcError for a missing expression."""
    expression = query.get("expr", "").strip()
    if not expression:
        raise MatcalcError("type an expression (the expr field is empty)")
    # (an unknown kind is refused by service.derivation_for, like any other bad request)
    return Request(expression=expression, wrt=query.get("wrt", ""), where=query.get("where", ""),
                   kind=query.get("kind", "gradient"), method=query.get("method", "trace") or "trace",
                   layout=query.get("layout") or None,
                   steps=query.get("steps", "1").lower() in _TRUE,
                   check=query.get("check", "").lower() in _TRUE, input=query.get("input") or None,
                   compare=query.get("compare", "").strip(), code=query.get("code", ""))


def create_app(time_limit: float = 10.0) -> Starlette:
    limiter = anyio.CapacityLimiter(CONCURRENT_DERIVATIONS)

    async def page(_: HTTPRequest):
        return FileResponse(STATIC / "index.html")

    async def api_derive(http: HTTPRequest):
        try:
            request = request_from_query(http.query_params)
        except MatcalcError as error:
            return JSONResponse(error_json(error), status_code=400)
        status, data = await anyio.to_thread.run_sync(derive_limited, request, time_limit, limiter=limiter)
        return JSONResponse(data, status_code=status)

    return Starlette(routes=[
        Route("/", page),
        Route("/api/derive", api_derive),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])


def serve(host: str = "127.0.0.1", port: int = 8000, time_limit: float = 10.0) -> int:
    import uvicorn                   # loaded only to serve

    start()                          # the page's workers load what derivations need, once
    print(f"matcalc: serving on http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(create_app(time_limit), host=host, port=port, log_level="warning")
    return 0
