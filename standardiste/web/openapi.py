"""The OpenAPI 3.1 document (``GET /api/openapi.json``), generated from the route registry
(:mod:`web.routes`) and the pydantic models of :mod:`web.schemas`.

Nothing here is written by hand but words: the paths and methods are the registered routes,
the schemas are the models' JSON Schemas (request bodies in pydantic's validation mode,
answers in its serialisation mode), the error responses follow from each route's access and
input plus its own statuses, with the codes ``web.errors`` maps to each status.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Literal, cast

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from standardiste.web.appkeys import SETTINGS
from standardiste.web.endpoint import FORM, JSON, MULTIPART, ROUTES, Reply, Route
from standardiste.web.errors import STATUS_BY_CODE
from standardiste.web.schemas import ErrorBody
from standardiste.web.security import CSRF_HEADER

REF = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]

SESSION_COOKIE = "standardiste_session"  # the default of web.cookie_name; served: the setting
_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "public": [],
    "session": [{"session": []}],
    "csrf": [{"session": [], "csrfToken": []}],
    "metrics": [{"metricsToken": []}, {}],  # {}: a loopback client needs nothing
}


def document(routes: Iterable[Route], *, session_cookie: str = SESSION_COOKIE) -> dict[str, Any]:
    routes = tuple(routes)
    schemes = {
        "session": {"type": "apiKey", "in": "cookie", "name": session_cookie},
        "csrfToken": {"type": "apiKey", "in": "header", "name": CSRF_HEADER},
        "metricsToken": {"type": "http", "scheme": "bearer"},
    }
    refs, defs = _schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Standardiste",
            "version": "1",
            "description": "Contact center dashboards API. Errors: "
            '{"error": {"code", "message"}}, codes stable. State-changing requests need the '
            "session's CSRF token (X-CSRF-Token) and, when they send an Origin, the app's own.",
        },
        "paths": paths,
        "components": {"schemas": defs, "securitySchemes": schemes},
    }


Refs = dict[tuple[type[BaseModel], Mode], dict[str, Any]]


def _schemas(routes: tuple[Route, ...]) -> tuple[Refs, dict[str, Any]]:
    wanted: dict[tuple[type[BaseModel], Mode], None] = {(ErrorBody, "serialization"): None}
    for route in routes:
        if route.body is not None:
            wanted[(route.body, "validation")] = None
        for reply in route.replies:
            if reply.model is not None:
                wanted[(reply.model, "serialization")] = None
        for _name, model in route.extensions:
            wanted[(model, _mode_of(model))] = None
    refs, top = models_json_schema(list(wanted), ref_template=REF)
    return cast(Refs, refs), dict(top.get("$defs", {}))


def _mode_of(model: type[BaseModel]) -> Mode:
    """Messages a client sends are read (validation); the rest are written."""
    return "validation" if model.__name__.endswith("ClientMessage") else "serialization"


def _operation(route: Route, refs: Refs) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": route.name, "summary": route.summary}
    if route.description:
        op["description"] = route.description
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.path_params
    ]
    if route.query is not None:
        params += _query_params(route.query)
    if params:
        op["parameters"] = params
    if route.body is not None:
        schema = refs[(route.body, "validation")]
        op["requestBody"] = {
            "required": route.body_required,
            "content": {media: {"schema": schema} for media in (JSON, FORM, MULTIPART)},
        }
    elif route.raw_body:
        binary = {"type": "string", "contentMediaType": "application/octet-stream"}
        op["requestBody"] = {
            "required": True,
            "content": {media: {"schema": binary} for media in route.raw_body},
        }
    if route.auth != "public":
        op["security"] = _SECURITY[route.auth]
    responses = {str(reply.status): _reply(reply, refs) for reply in route.replies}
    error = refs[(ErrorBody, "serialization")]
    for status in route.error_statuses:
        responses.setdefault(str(status), _json(error, _codes(status)))
    responses["default"] = _json(error, "unexpected: " + ", ".join(_codes(s) for s in (500, 503)))
    op["responses"] = responses
    for name, model in route.extensions:
        op[name] = refs[(model, _mode_of(model))]
    return op


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    properties = model.model_json_schema(ref_template=REF)["properties"]
    params = []
    for field_name, field in model.model_fields.items():
        name = field.alias or field_name  # a parameter named like a keyword ("from")
        schema = dict(properties[name])
        description = schema.pop("description", field.description)
        param: dict[str, Any] = {"name": name, "in": "query", "required": field.is_required()}
        if description:
            param["description"] = description
        param["schema"] = schema
        params.append(param)
    return params


def _reply(reply: Reply, refs: Refs) -> dict[str, Any]:
    if reply.status in (101, 204):
        return {"description": reply.description}
    if reply.model is not None:
        return _json(refs[(reply.model, "serialization")], reply.description)
    schema = {"type": "object"} if reply.media_type == JSON else {"type": "string"}
    return {"description": reply.description, "content": {reply.media_type: {"schema": schema}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _codes(status: int) -> str:
    codes = sorted(code for code, s in STATUS_BY_CODE.items() if s == status)
    return f"{status}: " + (", ".join(codes) if codes else "no stable code")


@lru_cache(maxsize=4)
def _text(routes: tuple[Route, ...], session_cookie: str) -> str:
    return json.dumps(document(routes, session_cookie=session_cookie), separators=(",", ":"))


async def openapi_json(request: web.Request) -> web.Response:
    text = _text(request.app[ROUTES], request.app[SETTINGS].cookie_name)
    return web.Response(text=text, content_type=JSON)


__all__ = ["document", "openapi_json"]
