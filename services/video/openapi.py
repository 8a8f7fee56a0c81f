"""One OpenAPI document for the whole public HTTP API, generated from the services' own resolvers and models.

`python -m services.video.openapi` writes `docs/openapi.json`; `--check` fails when the file is stale (a test
runs it). The API's own `/openapi.json` serves the video routes only, from the function that answers them:
each service's function knows its own routes, and the merged document is a build artefact of the repository.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from shared.api import API_TITLE, API_VERSION, MAX_BODY_BYTES, SECURITY_SCHEME

# Every module whose `app` answers routes of the public HTTP API (the video stack's API; others add routes).
PUBLIC_API_MODULES: tuple[str, ...] = (
    "services.video.handlers.api",
    "services.channel.handlers.api",
    "services.plugins.handlers.api",
    "services.genai.handlers.titles_api",
    "services.identity.handlers.users_api",
)
DESCRIPTION = (
    "svideo's public HTTP API: videos, channels, plugins and the title feedback loop. Sign in with the "
    "Cognito user pool and send its ID token as a bearer token; public routes accept an optional token."
)
DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
# The body of every error the API answers (shared.api.error_response, the registry's manifest problems, and
# API Gateway's own 401/404 `{"message": ...}`).
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
ERROR_DESCRIPTIONS: dict[str, str] = {
    "400": "The request is invalid; the message names the field or what is wrong with the body",
    "401": "No token, or an invalid or expired one",
    "403": "The caller may not do this",
    "404": "No such resource, or the caller may not know it exists",
    "409": "The resource is not in a state that allows this",
    "413": f"The body is over {MAX_BODY_BYTES} bytes",
    "415": "The body is not sent as application/json",
    "422": "The request is invalid; the message names the field",
}


class ConflictingDefinitionError(Exception):
    """Two services define the same route or the same schema name differently."""


def _service_document(module_name: str) -> dict[str, Any]:
    app = importlib.import_module(module_name).app
    invalid_request_status = str(int(app.invalid_request_status))
    schema = app.get_openapi_schema(
        title=API_TITLE,
        version=API_VERSION,
        security_schemes={SECURITY_SCHEME: HTTPBearer(bearerFormat="JWT", description="Cognito ID token")},
    )
    document: dict[str, Any] = json.loads(schema.model_dump_json(by_alias=True, exclude_none=True))
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            # Powertools lists 422 for every route; the service answers invalid requests with its own status.
            operation.get("responses", {}).pop("422", None)
            operation["x-invalid-request-status"] = invalid_request_status
    return document


def _merge(target: dict[str, Any], source: dict[str, Any], what: str) -> None:
    for name, value in source.items():
        if name in target and target[name] != value:
            raise ConflictingDefinitionError(f"{what} {name!r} is defined twice, differently")
        target[name] = value


def error_codes(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses an operation can answer, from what the shared resolver and the gateway do."""
    codes = {"400", operation.pop("x-invalid-request-status", "400")}
    if "requestBody" in operation:
        codes |= {"413", "415"}
    if any(SECURITY_SCHEME in requirement for requirement in operation.get("security", [])):
        codes |= {"401", "403"}
    if "{" in path:
        codes.add("404")
    if method in {"post", "put", "delete"}:
        codes.add("409")
    return sorted(codes)


def _with_errors(path: str, operations: dict[str, Any]) -> dict[str, Any]:
    for method, operation in operations.items():
        responses = operation.setdefault("responses", {})
        if "204" in responses:
            responses["204"].pop("content", None)  # No Content: no body, no media type
        for code in error_codes(path, method, operation):
            responses[code] = {
                "description": ERROR_DESCRIPTIONS[code],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        operation["responses"] = dict(sorted(responses.items()))
    return operations


def build_document(modules: tuple[str, ...] = PUBLIC_API_MODULES) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    security_schemes: dict[str, Any] = {}
    for module_name in modules:
        document = _service_document(module_name)
        for path, operations in document.get("paths", {}).items():
            merged = paths.setdefault(path, {})
            _merge(merged, operations, f"route {path}")
        components = document.get("components", {})
        _merge(schemas, components.get("schemas", {}), "schema")
        _merge(security_schemes, components.get("securitySchemes", {}), "security scheme")
    paths = {path: _with_errors(path, operations) for path, operations in paths.items()}
    schemas["Error"] = ERROR_SCHEMA
    schemas.pop("HTTPValidationError", None)  # the resolver answers invalid requests with Error

    return {
        "openapi": "3.1.0",
        "info": {"title": API_TITLE, "version": API_VERSION, "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": security_schemes},
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.json is not current")
    parser.add_argument("--output", type=Path, default=DOCUMENT)
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run python -m services.video.openapi", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
