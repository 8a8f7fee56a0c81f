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

from shared.api import API_TITLE, API_VERSION, SECURITY_SCHEME

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


class ConflictingDefinitionError(Exception):
    """Two services define the same route or the same schema name differently."""


def _service_document(module_name: str) -> dict[str, Any]:
    app = importlib.import_module(module_name).app
    schema = app.get_openapi_schema(
        title=API_TITLE,
        version=API_VERSION,
        security_schemes={SECURITY_SCHEME: HTTPBearer(bearerFormat="JWT", description="Cognito ID token")},
    )
    document: dict[str, Any] = json.loads(schema.model_dump_json(by_alias=True, exclude_none=True))
    return document


def _merge(target: dict[str, Any], source: dict[str, Any], what: str) -> None:
    for name, value in source.items():
        if name in target and target[name] != value:
            raise ConflictingDefinitionError(f"{what} {name!r} is defined twice, differently")
        target[name] = value


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
