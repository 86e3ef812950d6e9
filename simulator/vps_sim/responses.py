"""JSON responses and request-body parsing shared by the public API and the control plane."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response


class JSONAnswer(Response):
    media_type = "application/json"

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def answer(content, status_code: int = 200, headers: dict | None = None) -> Response:
    return JSONAnswer(content, status_code=status_code, headers=headers)


def detail(message: str, status_code: int, headers: dict | None = None) -> Response:
    return JSONAnswer({"detail": message}, status_code=status_code, headers=headers)


def no_content() -> Response:
    return Response(status_code=204)


class BadBody(Exception):
    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a valid JSON value")


async def json_body(request: Request):
    """Parse the body as DRF's JSONParser would: empty body is ``{}``, other media types answer 415."""
    raw = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise BadBody(detail(f'Unsupported media type "{media_type}" in request.', 415))
    if not raw.strip():
        return {}
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise BadBody(detail(f"JSON parse error - {exc}", 400)) from None
