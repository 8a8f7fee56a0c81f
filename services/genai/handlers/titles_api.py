"""HTTP API → Lambda: the broadcaster's title feedback (`/videos/{id}/titles`, `/title`, regenerate)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AfterValidator, BaseModel, Field

from services.genai import runtime
from services.genai.feedback import TitleBook
from shared.api import SIGNED_IN, build_resolver
from shared.auth import Principal, principal_from_event
from shared.observability import logger, metrics, tracer
from shared.text import display_text, no_bidi_controls

app = build_resolver(invalid_request_status=HTTPStatus.UNPROCESSABLE_ENTITY)


class SelectTitle(BaseModel):
    candidate_id: str = Field(min_length=1, max_length=128)


class RegenerateTitles(BaseModel):
    feedback: Annotated[str, display_text(1000, multi_line=True), AfterValidator(no_bidi_controls)]


def caller() -> Principal:
    # Every feedback route sits behind the JWT authorizer: the claims are there, no token to verify here.
    return principal_from_event(app.current_event.raw_event, verifier=None)


def _view(book: TitleBook, max_rounds: int) -> dict[str, Any]:
    return {
        "video_id": book.video_id,
        "provisional_title": book.provisional_title,
        "selected_title": book.selected_title,
        "selected_candidate_id": book.selected_candidate_id,
        "candidates": [c.model_dump() for c in book.latest.candidates],
        "description": book.latest.description,
        "tags": book.latest.tags,
        "round": book.latest.round,
        "max_rounds": max_rounds,
        "regenerating_round": book.requested_round,
        "rounds": [r.model_dump() for r in book.rounds],
    }


@app.get("/videos/<video_id>/titles", security=SIGNED_IN, summary="Title candidates and rounds (owner)")
def get_titles(video_id: str) -> dict[str, Any]:
    feedback = runtime.current().feedback
    return _view(feedback.view(video_id, caller()), feedback.max_rounds)


@app.post("/videos/<video_id>/title", security=SIGNED_IN, summary="Pick a title (owner)")
def select_title(video_id: str, body: Annotated[SelectTitle, Body()]) -> dict[str, Any]:
    selected = runtime.current().feedback.select(video_id, caller(), body.candidate_id)
    logger.info("title selected", extra={"video_id": video_id, "candidate_id": body.candidate_id})
    return {"video_id": video_id, "title": selected.title, "candidate_id": selected.candidate_id}


@app.post("/videos/<video_id>/titles/regenerate", status_code=202, security=SIGNED_IN, summary="New titles")
def regenerate_titles(video_id: str, body: Annotated[RegenerateTitles, Body()]) -> Response[dict[str, Any]]:
    requested = runtime.current().feedback.request_regeneration(video_id, caller(), body.feedback)
    logger.info("titles regeneration requested", extra={"video_id": video_id, "round": requested.round})
    return Response(202, content_types.APPLICATION_JSON, {"video_id": video_id, "round": requested.round})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
