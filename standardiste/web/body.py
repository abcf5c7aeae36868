"""Reading a request body without letting malformed input become a 500.

aiohttp raises whatever its decoders raise: ``LookupError`` for an unknown charset,
``UnicodeDecodeError``, ``ValueError`` for a multipart body without a boundary or a part
without a name, and ``json`` a ``RecursionError`` for deeply nested brackets. Each becomes an
``InvalidInput`` (400) here. A body over ``client_max_size`` stays aiohttp's 413.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from standardiste.errors import InvalidInput

# What a malformed body makes aiohttp's or json's decoders raise (UnicodeDecodeError and
# JSONDecodeError are ValueErrors).
DECODE_ERRORS = (ValueError, LookupError, RecursionError)


async def read_json(request: web.Request) -> Any:
    """The decoded JSON document of the body (any JSON value)."""
    try:
        return json.loads(await request.text())
    except DECODE_ERRORS:
        raise InvalidInput("the body is not valid JSON in a known charset") from None


async def read_form(
    request: web.Request,
) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """The form fields (cached by aiohttp: the CSRF check and the handler share one read)."""
    try:
        return await request.post()
    except DECODE_ERRORS:
        raise InvalidInput("the body is not a well-formed form") from None
