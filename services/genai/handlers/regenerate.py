"""SQS (rule on `Titles.RegenerateRequested`) → a new round of titles from the stored transcript and the
broadcaster's feedback, published as `Titles.Generated`; partial batch failures."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.genai import config, runtime, usage
from services.genai.errors import GenerationError
from services.genai.output_guard import OutputGuard
from services.genai.ports import TitleWriter
from services.genai.s3_bucket import BucketArtefacts
from shared.events import parse_event
from shared.events.video import TitlesRegenerateRequested
from shared.observability import correlated, logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@cache
def writer() -> TitleWriter:
    return config.build_title_writer(config.settings())


@cache
def guard() -> OutputGuard:
    return config.build_output_guard(config.settings())


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    request = parse_event(json.loads(record.body)).detail
    if not isinstance(request, TitlesRegenerateRequested):
        raise TypeError(f"unexpected event {type(request).__name__}")
    logger.append_keys(video_id=request.video_id)
    deps = runtime.current()
    book = deps.feedback.store.get(request.video_id)
    bucket = book.bucket if book else deps.settings.media_bucket
    artefacts = BucketArtefacts(deps.s3, bucket, f"videos/{request.video_id}/plugins/titles")
    try:
        generated = deps.feedback.regenerate(request, writer(), artefacts, guard())
    except GenerationError as error:
        # A round that cannot be written is not retried: the broadcaster keeps the earlier candidates.
        logger.warning("regeneration failed", extra={"round": request.round, "reason": str(error)[:500]})
        return
    if generated is not None:
        g = generated.generation
        usage.record(
            metrics,
            usage.Usage("titles", g.model_id, g.input_tokens, g.output_tokens),
            request.video_id,
            deps.settings.prices,
        )
        logger.info("titles round written", extra={"round": generated.round})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=correlated(record_handler), processor=processor, context=context
    )
