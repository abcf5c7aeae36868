"""Request bodies: JSON objects (JavaScript) or forms (HTML), checked field by field.

Every problem is an ``InvalidInput`` naming the field, which the error middleware turns into
a 400 ``invalid_input``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from acd.names import is_queue
from standardiste.errors import InvalidInput
from web.body import read_form, read_json
from web.errors import UnsupportedMediaType
from web.security import CSRF_FIELD, FORM_TYPES

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


def text(body: Mapping[str, Any], name: str, *, max_len: int = 256) -> str:
    """A required string field."""
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"field {name} is required (a non-empty string)")
    if len(value) > max_len:
        raise InvalidInput(f"field {name} is longer than {max_len} characters")
    return value


def optional_text(body: Mapping[str, Any], name: str, *, max_len: int = 256) -> str | None:
    if body.get(name) is None:
        return None
    return text(body, name, max_len=max_len)


def queue_list(body: Mapping[str, Any], name: str = "queues") -> list[str] | None:
    """A list of queue names, or None when absent or null (meaning: the default queues)."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_QUEUES:
        raise InvalidInput(f"field {name} must be a list of queue names or null")
    for queue in value:
        if not is_queue(queue):
            raise InvalidInput(f"field {name}: {queue!r} is not a queue name")
    return list(value)
