"""HTTP API → Lambda: the broadcaster's title feedback (`/videos/{id}/titles`, `/title`, regenerate)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from services.genai import runtime
from services.genai.feedback import Caller, FeedbackError, TitleBook
from shared.observability import logger, metrics, tracer

app = APIGatewayHttpResolver(enable_validation=True)


class SelectTitle(BaseModel):
    candidate_id: str = Field(min_length=1, max_length=128)


class RegenerateTitles(BaseModel):
    feedback: str = Field(min_length=1, max_length=1000)


def _groups(claim: Any) -> frozenset[str]:
    """`cognito:groups` arrives as a list, or flattened by API Gateway as "[admin broadcaster]"."""
    if isinstance(claim, list):
        return frozenset(map(str, claim))
    return frozenset(str(claim or "").strip("[]").replace(",", " ").split())


def caller() -> Caller:
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    return Caller(user_id=str(claims.get("sub", "")), groups=_groups(claims.get("cognito:groups")))


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


@app.get("/videos/<video_id>/titles")
def get_titles(video_id: str) -> dict[str, Any]:
    feedback = runtime.current().feedback
    return _view(feedback.view(video_id, caller()), feedback.max_rounds)


@app.post("/videos/<video_id>/title")
def select_title(video_id: str, body: Annotated[SelectTitle, Body()]) -> dict[str, Any]:
    selected = runtime.current().feedback.select(video_id, caller(), body.candidate_id)
    logger.info("title selected", extra={"video_id": video_id, "candidate_id": body.candidate_id})
    return {"video_id": video_id, "title": selected.title, "candidate_id": selected.candidate_id}


@app.post("/videos/<video_id>/titles/regenerate")
def regenerate_titles(video_id: str, body: Annotated[RegenerateTitles, Body()]) -> Response[dict[str, Any]]:
    requested = runtime.current().feedback.request_regeneration(video_id, caller(), body.feedback)
    logger.info("titles regeneration requested", extra={"video_id": video_id, "round": requested.round})
    return Response(202, content_types.APPLICATION_JSON, {"video_id": video_id, "round": requested.round})


@app.exception_handler(FeedbackError)
def feedback_refused(error: FeedbackError) -> Response[dict[str, Any]]:
    return Response(error.status, content_types.APPLICATION_JSON, {"message": str(error)})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
