"""The API reference page, read from the app's own OpenAPI schema.

FastAPI's Swagger UI and ReDoc load their scripts from a CDN, and the machine may be
offline; this page needs nothing but the schema. ``/openapi.json`` stays the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str
    required: bool
    kind: str
    description: str


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    summary: str
    description: str
    tag: str
    parameters: list[Parameter] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    responses: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"{self.method}-{self.path}".replace("/", "-").replace("{", "").replace("}", "")


def _kind(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_kind(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_kind(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    return str(schema.get("format") or schema.get("type") or "any")


def _parameters(operation: dict[str, Any]) -> list[Parameter]:
    return [
        Parameter(
            p["name"],
            p.get("in", ""),
            bool(p.get("required")),
            _kind(p.get("schema", {})),
            str(p.get("description") or p.get("schema", {}).get("description") or ""),
        )
        for p in operation.get("parameters", [])
    ]


def _body(operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    return [f"{media}: {_kind(spec.get('schema', {}))}" for media, spec in content.items()]


def _responses(operation: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for status, spec in sorted(operation.get("responses", {}).items()):
        schema = spec.get("content", {}).get("application/json", {}).get("schema", {})
        rows.append((status, str(spec.get("description", "")), _kind(schema) if schema else ""))
    return rows


def _summary(description: str) -> str:
    """The first sentence of the docstring, for the overview table."""
    first = " ".join(description.split())
    return first.split(". ", 1)[0].split(": ", 1)[0].rstrip(".")


def endpoints(openapi: dict[str, Any]) -> list[Endpoint]:
    """Every operation of the schema, in path order."""
    found = []
    for path, item in openapi.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            description = str(op.get("description", "")).replace("``", "`")
            found.append(
                Endpoint(
                    method=method.upper(),
                    path=path,
                    summary=_summary(description) or str(op.get("summary", "")),
                    description=description,
                    tag=(op.get("tags") or ["api"])[0],
                    parameters=_parameters(op),
                    body=_body(op),
                    responses=_responses(op),
                )
            )
    return found


def page_list(routes: list[Any]) -> list[dict[str, Any]]:
    """The routes kept out of the API on purpose: the dashboard's pages and forms, the
    static files, the sign-in, the schema itself (``x-pages`` of ``/openapi.json``)."""
    found: list[dict[str, Any]] = []
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI keeps included routers whole
            found += page_list(route.original_router.routes)
        elif getattr(route, "include_in_schema", True) is False:
            summary = _summary(str(getattr(route, "description", "") or ""))
            methods = sorted(getattr(route, "methods", None) or {"GET"})
            found.append({"path": route.path, "methods": methods, "summary": summary})
        elif getattr(route, "name", "") == "static":
            found.append({"path": f"{route.path}/{{file}}", "methods": ["GET"], "summary": ""})
    return found


def form_fields_without_null(openapi: dict[str, Any]) -> dict[str, Any]:
    """``openapi`` with each optional field of a form (FastAPI writes ``UploadFile | None``
    or ``Literal[...] | None`` as "this or null") declared as what it is when sent: a
    multipart form has no null (a field left out is the default), and a client reading
    "or null" may send the text ``null``, or a file's text as a plain field."""
    schemas = openapi.get("components", {}).get("schemas", {})
    for item in openapi.get("paths", {}).values():
        for operation in item.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media, body in content.items():
                ref = body.get("schema", {}).get("$ref", "")
                if media in FORM_MEDIA_TYPES and ref.startswith(COMPONENTS):
                    _without_null(schemas[ref.removeprefix(COMPONENTS)])
    return openapi


FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
COMPONENTS = "#/components/schemas/"


def _without_null(body: dict[str, Any]) -> None:
    required = set(body.get("required", []))
    for name, prop in body.get("properties", {}).items():
        choices = prop.get("anyOf", [])
        sent = [c for c in choices if c.get("type") != "null"]
        if len(sent) == 1 and len(choices) == 2:
            kept = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
            prop = body["properties"][name] = {**sent[0], **kept}
        if "enum" in prop and name not in required and "" not in prop["enum"]:
            # a form field left empty is one not sent: the default
            prop["enum"] = [*prop["enum"], ""]
