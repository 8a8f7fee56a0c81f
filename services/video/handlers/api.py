"""The video routes of the public HTTP API: thin routes over the catalog; who may call what is in `policy`."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.video.handlers.dependencies import Dependencies, api_dependencies
from services.video.models import (
    DEFAULT_PAGE_LIMIT,
    HistoryView,
    MeView,
    NextToken,
    PageLimit,
    PublicVideoView,
    VideoPageView,
    VideoView,
)
from services.video.policy import Action, authorize
from services.video.repository import ConcurrentChangeError
from services.video.search import SEARCH_QUERY_MAX_LENGTH, QueryError
from shared.api import OPTIONAL_SIGN_IN, SIGNED_IN, build_resolver, enable_docs
from shared.auth import Principal, principal_from_event
from shared.errors import ConflictError
from shared.events.base import ChannelId, VideoId
from shared.observability import logger, tracer

DESCRIPTION = "Videos of svideo: the public catalog, owners' views of their own videos, history and deletion."
app = build_resolver()
VideoIdPath = Annotated[VideoId, Path(description="The video's id")]
ChannelIdPath = Annotated[ChannelId, Path(description="The channel's id")]
Limit = Annotated[PageLimit, Query(description="Videos per page")]
Token = Annotated[NextToken | None, Query(description="`next_token` of the previous page")]


def _deps() -> Dependencies:
    return api_dependencies()


def _principal() -> Principal:
    return principal_from_event(app.current_event.raw_event, _deps().verifier)


def _media() -> Any:
    media = _deps().media
    assert media is not None, "the API's dependencies include the media store"
    return media


@app.get("/videos", summary="Published videos, newest first", tags=["videos"], security=OPTIONAL_SIGN_IN)
def list_videos(limit: Limit = DEFAULT_PAGE_LIMIT, next_token: Token = None) -> VideoPageView:
    _principal()  # the list is public, but a token sent with it must be valid (401 otherwise)
    return _deps().catalog.list_published(_media(), limit, next_token)


SearchQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=SEARCH_QUERY_MAX_LENGTH,
        description="Words to find in the title, description, tags and transcript (all of them must occur)",
    ),
]


@app.get(
    "/search",
    summary="Published videos holding every word of `q`, newest first",
    tags=["videos"],
    security=OPTIONAL_SIGN_IN,
)
def search(q: SearchQuery, limit: Limit = DEFAULT_PAGE_LIMIT, next_token: Token = None) -> VideoPageView:
    _principal()  # an invalid token is refused here too
    try:
        return _deps().catalog.search_videos(q, _media(), limit, next_token)
    except QueryError as exc:
        raise RequestValidationError(
            [{"loc": ("query", "q"), "msg": str(exc), "type": "value_error"}]
        ) from exc


@app.get("/videos/<video_id>", summary="One video", tags=["videos"], security=OPTIONAL_SIGN_IN)
def get_video(video_id: VideoIdPath) -> VideoView | PublicVideoView:
    return _deps().catalog.get(_principal(), video_id, _media())


@app.get(
    "/channels/<channel_id>/videos",
    summary="A channel's videos, newest first (all statuses for the owner and admins)",
    tags=["videos"],
    security=OPTIONAL_SIGN_IN,
)
def list_channel_videos(
    channel_id: ChannelIdPath, limit: Limit = DEFAULT_PAGE_LIMIT, next_token: Token = None
) -> VideoPageView:
    return _deps().catalog.list_channel(_principal(), channel_id, _media(), limit, next_token)


@app.get("/videos/<video_id>/history", summary="The video's timeline", tags=["videos"], security=SIGNED_IN)
def get_history(video_id: VideoIdPath) -> HistoryView:
    return _deps().catalog.history(_principal(), video_id)


@app.delete(
    "/videos/<video_id>",
    summary="Delete a video and its media",
    tags=["videos"],
    security=SIGNED_IN,
    status_code=HTTPStatus.NO_CONTENT,
)
def delete_video(video_id: VideoIdPath) -> Response[None]:
    try:
        _deps().catalog.delete(_principal(), video_id, _media(), datetime.now(UTC))
    except ConcurrentChangeError as exc:
        raise ConflictError(f"video {video_id} changed while it was being deleted; try again") from exc
    return Response(status_code=HTTPStatus.NO_CONTENT)


@app.get(
    "/me/videos",
    summary="The caller's own videos across their channels, every status, newest first",
    tags=["me"],
    security=SIGNED_IN,
)
def my_videos(limit: Limit = DEFAULT_PAGE_LIMIT, next_token: Token = None) -> VideoPageView:
    return _deps().catalog.list_mine(_principal(), _media(), limit, next_token)


@app.get("/me", summary="The signed-in caller", tags=["me"], security=SIGNED_IN)
def me() -> MeView:
    principal = _principal()
    authorize(principal, Action.ME)
    assert principal.sub is not None
    return MeView(
        sub=principal.sub, username=principal.username, email=principal.email, groups=sorted(principal.groups)
    )


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _enable_docs_once()
    return app.resolve(event, context)


_docs: list[bool] = []


def _enable_docs_once() -> None:
    """The docs routes need the Swagger UI assets' URL, read from the environment at the first call."""
    if not _docs:
        enable_docs(app, description=DESCRIPTION, swagger_base_url=_deps().swagger_base_url)
        _docs.append(True)
