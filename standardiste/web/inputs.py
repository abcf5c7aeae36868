"""Request bodies: JSON objects (JavaScript) or forms (HTML), read into a dict that the
route's model (:mod:`web.schemas`, through :func:`web.endpoint.read_model`) then checks field
by field.

Every problem is an ``InvalidInput``, which the error middleware turns into a 400
``invalid_input``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from standardiste.acd.names import QUEUE_RE
from standardiste.errors import InvalidInput
from standardiste.web.body import read_form, read_json
from standardiste.web.errors import UnsupportedMediaType
from standardiste.web.security import CSRF_FIELD, FORM_TYPES

# One definition of the names the PBX accepts (acd.names); web.schemas.QueueName uses it.
QUEUE_NAME_RE = QUEUE_RE
LIST_FIELDS = frozenset({"queues"})
MAX_QUEUES = 200


async def read_body(request: web.Request) -> dict[str, Any]:
    """The body as a dict; an empty body is an empty dict."""
    if not request.body_exists:
        return {}
    if request.content_type == "application/json":
        data = await read_json(request)
        if not isinstance(data, dict):
            raise InvalidInput("the body must be a JSON object")
        return data
    if request.content_type in FORM_TYPES:
        form = await read_form(request)
        body: dict[str, Any] = {}
        for name in set(form.keys()) - {CSRF_FIELD}:
            values = form.getall(name)
            if not all(isinstance(v, str) for v in values):
                raise InvalidInput(f"field {name}: files are not accepted")
            body[name] = values if name in LIST_FIELDS else values[-1]
        return body
    raise UnsupportedMediaType("send application/json or a form")
