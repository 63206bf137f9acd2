"""GET /api/openapi.json: an OpenAPI 3.1 description generated from the route table and the declared shapes.

Nothing is written twice: paths and their parameters come from the route regexes and the handler
methods' own argument names; request bodies from the shapes each method (or its permission rule's
unit resolver) passes to `body()` (web/validation.py); query parameters from the `*_argument`
calls the method makes. Integrators and tests/test_fuzz.py read the same document.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache
from typing import Any

import tornado.web

from web.authz import public, rule_of
from web.base import MAX_JSON_DEPTH, MAX_LIMIT, MAX_YEAR, MIN_YEAR, APIHandler, NotFoundHandler
from web.validation import MAX_INT, Field, Shape, json_schema

METHODS = ("get", "post", "patch", "put", "delete")
SHAPE_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}
ERROR_SCHEMA = {"type": "object", "required": ["code", "message"], "properties": {
    "code": {"type": "string", "description": "stable error code, e.g. invalid_input, not_found, too_large"},
    "message": {"type": "string"}, "field": {"type": ["string", "null"]}}}


def path_template(pattern: str, names: list[str]) -> list[tuple[str, dict[str, str]]]:
    """A route regex as OpenAPI paths: each capturing group becomes {name} (with its regex kept as the
    parameter's pattern); a top-level (?:a|b) of plain words becomes one path per word."""
    paths: list[tuple[str, dict[str, str]]] = [("", {})]
    index, group = 0, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            paths = [(path + pattern[index + 1], params) for path, params in paths]
            index += 2
        elif char == "(":
            end = _closing(pattern, index)
            inner = pattern[index + 1:end]
            if inner.startswith("?:"):
                words = inner[2:].split("|")
                paths = [(path + word, params) for path, params in paths for word in words]
            else:
                name = names[group] if group < len(names) else f"arg{group}"
                group += 1
                paths = [(path + "{" + name + "}", {**params, name: f"^{inner}$"}) for path, params in paths]
            index = end + 1
        else:
            paths = [(path + char, params) for path, params in paths]
            index += 1
    return paths


def _closing(pattern: str, start: int) -> int:
    depth, index, in_class = 0, start, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ValueError(f"unbalanced route pattern {pattern!r}")


def _original(function: Any) -> Any:
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function


def _resolvers(method: Any) -> list[Any]:
    """The functions a permission rule calls with the request (unit resolvers, facts): they read it too."""
    check = getattr(method, "authorize", None)
    if check is None:
        return []
    found = inspect.getclosurevars(check).nonlocals
    return [found[name] for name in ("units", "fact") if callable(found.get(name))]


def _calls(function: Any) -> list[ast.Call]:
    try:
        source = textwrap.dedent(inspect.getsource(_original(function)))
    except (OSError, TypeError):
        return []
    return [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]


def _receiver_call(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "handler"):
        return func.attr
    return None


def _inline_shape(node: ast.Dict) -> Shape | None:
    """A shape written in place, `{"name": required(str), ...}`, read without running any code."""
    shape: Shape = {}
    for key, value in zip(node.keys, node.values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name) and value.func.id in ("required", "optional")):
            return None
        types: list[type] = []
        for arg in value.args:
            if isinstance(arg, ast.Name) and arg.id in SHAPE_TYPES:
                types.append(SHAPE_TYPES[arg.id])
            elif isinstance(arg, ast.Call) and ast.unparse(arg) == "type(None)":
                types.append(type(None))
            else:
                return None
        nullable = any(k.arg == "nullable" and isinstance(k.value, ast.Constant) and k.value.value is True
                       for k in value.keywords)
        if any(k.arg not in ("nullable",) for k in value.keywords):
            return None
        shape[key.value] = Field(tuple(types), required=value.func.id == "required", nullable=nullable)
    return shape


def body_shape(method: Any) -> tuple[Shape | None, bool]:
    """The shape a method's body is checked against, and whether a body is required at all."""
    for function in [method, *_resolvers(method)]:
        for node in _calls(function):
            if _receiver_call(node) != "body" or len(node.args) != 1:
                continue
            arg = node.args[0]
            shape = (_original(function).__globals__.get(arg.id) if isinstance(arg, ast.Name)
                     else _inline_shape(arg) if isinstance(arg, ast.Dict) else None)
            if isinstance(shape, dict):
                source = inspect.getsource(_original(function))
                return shape, "if self.request.body" not in source
    return None, False


def query_parameters(method: Any) -> dict[str, dict[str, Any]]:
    params: dict[str, dict[str, Any]] = {}
    for function in [method, *_resolvers(method)]:
        for node in _calls(function):
            kind = _receiver_call(node)
            if kind == "paging":
                params["offset"] = {"type": "integer", "minimum": 0, "default": 0}
                params["limit"] = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}
                continue
            if kind not in ("get_query_argument", "get_argument", "int_argument", "bool_argument", "date_argument"):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
                continue
            params[node.args[0].value] = (
                {"type": "integer", "minimum": -MAX_INT - 1, "maximum": MAX_INT} if kind == "int_argument"
                else {"type": "boolean"} if kind == "bool_argument"
                else {"type": "string", "format": "date", "x-years": [MIN_YEAR, MAX_YEAR]} if kind == "date_argument"
                else {"type": "string"})
    return params


def shape_schema(shape: Shape) -> dict[str, Any]:
    """The body's JSON Schema from the msgspec Struct that checks it (web/validation.py)."""
    return {**json_schema(shape), "x-max-depth": MAX_JSON_DEPTH}


def _summary(handler: type, function: Any) -> str:
    doc = inspect.cleandoc(_original(function).__doc__ or handler.__doc__ or "")
    return doc.splitlines()[0] if doc else ""


def operation(handler: type[APIHandler], name: str, path_params: dict[str, str]) -> dict[str, Any]:
    method = getattr(handler, name)
    rule = rule_of(method)
    op: dict[str, Any] = {"operationId": f"{handler.__name__}.{name}", "summary": _summary(handler, method),
                          "x-oa-rule": rule,
                          "parameters": [{"name": param, "in": "path", "required": True,
                                          "schema": {"type": "string", "pattern": regex}}
                                         for param, regex in path_params.items()],
                          "responses": {"default": {"description": "error",
                                                    "content": {"application/json": {"schema": {
                                                        "$ref": "#/components/schemas/Error"}}}}}}
    op["parameters"] += [{"name": param, "in": "query", "required": False, "schema": schema}
                         for param, schema in query_parameters(method).items()]
    if rule == "public":
        op["security"] = []
    if name in ("post", "put", "patch"):
        if getattr(handler, "_stream_request_body", False):
            op["requestBody"] = {"required": True, "content": {"application/octet-stream": {
                "schema": {"type": "string", "format": "binary"}}}}
        else:
            shape, required = body_shape(method)
            if shape is not None:
                op["requestBody"] = {"required": required,
                                     "content": {"application/json": {"schema": shape_schema(shape)}}}
    op["responses"]["2XX"] = {"description": "success"}
    return op


def openapi_document(routes: list[tuple[Any, ...]]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        pattern, handler = route[0], route[1]
        if not pattern.startswith("/api/") or not isinstance(handler, type) or not issubclass(handler, APIHandler) \
                or issubclass(handler, NotFoundHandler):
            continue
        defined = [name for name in METHODS
                   if getattr(handler, name) is not getattr(tornado.web.RequestHandler, name)
                   and rule_of(getattr(handler, name)) is not None]
        for name in defined:
            arguments = list(inspect.signature(_original(getattr(handler, name))).parameters)[1:]
            for path, params in path_template(pattern, arguments):
                entry = paths.setdefault(path, {"x-route": pattern})
                entry[name] = operation(handler, name, params)
    return {
        "openapi": "3.1.0",
        "info": {"title": "公文流转 API", "version": "1",
                 "description": "Every error is JSON {code, message, ...}; request bodies are JSON objects "
                                "(unknown keys refused) unless said otherwise."},
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "cookie": {"type": "apiKey", "in": "cookie", "name": "oa_session"}}},
        "security": [{"bearer": []}, {"cookie": []}],
    }


@cache
def api_description() -> dict[str, Any]:
    from web.app import ROUTES  # the table that imports this module

    return openapi_document(ROUTES)


class OpenAPIHandler(APIHandler):
    @public
    async def get(self) -> None:
        """This API's OpenAPI 3.1 description (public: it holds no data)."""
        self.send_json(api_description())
