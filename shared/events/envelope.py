"""The EventBridge event around a detail, generic over the detail model.

`Envelope[VideoProcessed]` is a Powertools `EventBridgeModel`, so handlers may use it directly with
`@event_parser(model=Envelope[VideoProcessed])`, or call `parse_event` to dispatch on source/detail-type.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from shared.events.base import EventDetail

DetailT = TypeVar("DetailT", bound=EventDetail)


class Envelope(EventBridgeModel, Generic[DetailT]):
    """`version`, `id`, `detail-type`, `source`, `account`, `time`, `region`, `resources`, `detail`."""

    detail: DetailT  # narrows Powertools' raw dict-or-model to one detail model
