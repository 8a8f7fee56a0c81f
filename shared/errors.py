"""Domain errors every service raises, each with the HTTP status the public API answers with.

Pure on purpose: a domain module raises these without importing the HTTP resolver (Powertools), which lives
in `shared.api` and maps them to responses.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import ClassVar

__all__ = ["BadRequestError", "ConflictError", "NotFoundError"]


class NotFoundError(Exception):
    """The resource does not exist, or the caller may not know it exists (404)."""

    status: ClassVar[HTTPStatus] = HTTPStatus.NOT_FOUND


class ConflictError(Exception):
    """The resource is not in a state that allows the request (409)."""

    status: ClassVar[HTTPStatus] = HTTPStatus.CONFLICT


class BadRequestError(Exception):
    """The request is well-formed JSON but not acceptable, e.g. a bad pagination token (400)."""

    status: ClassVar[HTTPStatus] = HTTPStatus.BAD_REQUEST
