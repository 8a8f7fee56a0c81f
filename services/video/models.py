"""The catalog's records (video, history entry), the changes events ask for, and the API's views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter

from shared import deadlines
from shared.events.base import ChannelId, Compute, Hook, OwnerId, UtcDatetime, VideoId, VideoStatus
from shared.events.plugins import PluginOutcome, PluginResult

NextToken = Annotated[str, Field(max_length=2048, description="Opaque token from the previous page")]
PageLimit = Annotated[int, Field(ge=1, le=100)]
DEFAULT_PAGE_LIMIT = 20


def timestamp_key(moment: datetime) -> str:
    """Fixed-width UTC text, so string order is time order in sort keys."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class MediaKeys(BaseModel):
    """Where the processed media lives in the media bucket (keys, not URLs)."""

    model_config = ConfigDict(frozen=True)

    mp4_key: str
    # None while the HLS recording stays in the channel's recording bucket: only media-bucket keys are signed.
    hls_master_key: str | None = None
    poster_key: str
    thumbnail_keys: list[str] = Field(default_factory=list)
    width: int
    height: int
    bytes: int


class TitleOption(BaseModel):
    model_config = ConfigDict(frozen=True)

    candidate_id: str
    title: str


class TitleRound(BaseModel):
    """One round of generated title candidates (round 1 from the plugin, later ones from regeneration)."""

    model_config = ConfigDict(frozen=True)

    round: int
    candidates: list[TitleOption]
    description: str = ""
    tags: list[str] = Field(default_factory=list)


class TitleChoice(BaseModel):
    """The broadcaster's pick: one of the candidates, or their own text (`candidate_id` None)."""

    model_config = ConfigDict(frozen=True)

    title: str
    candidate_id: str | None = None
    selected_at: UtcDatetime


class Titles(BaseModel):
    """The title feedback loop as the catalog sees it: every round, and the choice once made."""

    model_config = ConfigDict(frozen=True)

    rounds: list[TitleRound] = Field(default_factory=list)
    selected: TitleChoice | None = None

    def with_round(self, written: TitleRound) -> Titles:
        """A replayed round replaces its earlier copy; rounds stay in order whatever order they arrive in."""
        rounds = sorted(
            [r for r in self.rounds if r.round != written.round] + [written], key=lambda r: r.round
        )
        return self.model_copy(update={"rounds": rounds})

    def with_choice(self, choice: TitleChoice) -> Titles:
        """The latest choice wins, so a late-delivered older pick does not undo a newer one."""
        if self.selected is not None and self.selected.selected_at > choice.selected_at:
            return self
        return self.model_copy(update={"selected": choice})

    @property
    def title(self) -> str | None:
        if self.selected is not None:
            return self.selected.title
        latest = self.rounds[-1] if self.rounds else None
        return latest.candidates[0].title if latest and latest.candidates else None


class Video(BaseModel):
    """One video in the catalog; `fields` holds the plugins' projected outputs (title, tags, ...)."""

    model_config = ConfigDict(frozen=True)

    video_id: VideoId
    channel_id: ChannelId
    owner_id: OwnerId
    status: VideoStatus
    created_at: UtcDatetime
    updated_at: UtcDatetime
    status_since: UtcDatetime
    deadline_at: UtcDatetime | None = None
    published_at: UtcDatetime | None = None
    reason: str | None = None
    duration_ms: int | None = None
    media: MediaKeys | None = None
    compute: Compute | None = None  # where post-processing ran (or last failed), from Video.Processed/Failed
    fields: dict[str, JsonValue] = Field(default_factory=dict)
    titles: Titles | None = None
    # Each plugin's outcome from Lifecycle.Completed, once it arrived: a plugin's own side events (a titles
    # round) change the video only when they come from the invocation the lifecycle accepted.
    plugin_outcomes: dict[str, PluginOutcome] | None = None
    version: int = 0

    @property
    def title(self) -> str | None:
        """The chosen title, else the latest round's first candidate (provisional), else a projected one."""
        if self.titles is not None and self.titles.title:
            return self.titles.title
        for name in ("title", "provisional_title"):
            title = self.fields.get(name)
            if isinstance(title, str) and title:
                return title
        return None

    @property
    def title_provisional(self) -> bool:
        return self.title is not None and (self.titles is None or self.titles.selected is None)


class HistoryEntry(BaseModel):
    """One event applied to (or recorded against) a video. `applied` is False for late or superseded facts.

    An event may itemise itself in further entries written with it (`part` 0, 1, ...): Lifecycle.Completed
    writes one per plugin result, with the plugin's `hook`, `outcome` and `duration_ms`."""

    model_config = ConfigDict(frozen=True)

    at: UtcDatetime
    event_id: str
    type: str
    from_status: VideoStatus | None = None
    to_status: VideoStatus | None = None
    applied: bool = True
    reason: str | None = None
    plugin: str | None = None
    hook: Hook | None = None
    outcome: PluginOutcome | None = None
    duration_ms: int | None = None
    part: int | None = None
    correlation_id: str | None = None


@dataclass(frozen=True)
class Change:
    """What one event asks of one video: a target status (or none) and data to merge onto the record."""

    event_id: str
    event_type: str
    occurred_at: datetime
    correlation_id: str
    video_id: str
    target: VideoStatus | None
    channel_id: str | None = None
    owner_id: str | None = None
    reason: str | None = None
    plugin: str | None = None
    updates: dict[str, Any] = field(default_factory=dict)
    # Merged only when the change moves the status: a late failure must not relabel a good record.
    updates_if_moved: dict[str, Any] = field(default_factory=dict)
    # Merged only where the record has no value yet: a less precise fact (the recording's duration) fills a
    # gap whatever order it arrives in, but never overwrites a later one's (the processed media's).
    defaults: dict[str, Any] = field(default_factory=dict)
    results: tuple[PluginResult, ...] = ()  # itemised in the history, one entry each
    # A plugin's side event (e.g. a titles round): applied only once Lifecycle.Completed says this plugin
    # succeeded and the projected fields hold `matches` (it comes from the run the lifecycle accepted).
    side_of: str | None = None
    matches: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The change as text, to keep (park) until its predecessor lands."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return _CHANGE_ADAPTER.dump_json(values).decode()

    @classmethod
    def from_json(cls, text: str) -> Change:
        values = _CHANGE_ADAPTER.validate_json(text)
        for group in ("updates", "updates_if_moved", "defaults"):
            values[group] = {
                name: _UPDATE_MODELS[name].model_validate(value) if name in _UPDATE_MODELS else value
                for name, value in values[group].items()
            }
        values["occurred_at"] = datetime.fromisoformat(values["occurred_at"])
        values["results"] = tuple(PluginResult.model_validate(r) for r in values["results"])
        return cls(**values)


# The typed values a change's updates may hold; everything else is plain JSON.
_UPDATE_MODELS: dict[str, type[BaseModel]] = {
    "media": MediaKeys, "title_round": TitleRound, "title_choice": TitleChoice,
}  # fmt: skip
_CHANGE_ADAPTER: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


@dataclass(frozen=True)
class Deadlines:
    """How long a video may stay in each non-terminal status before the sweeper fails it."""

    recording: timedelta = timedelta(seconds=deadlines.RECORDING_S)
    processing: timedelta = timedelta(seconds=deadlines.PROCESSING_S)
    enriching: timedelta = timedelta(seconds=deadlines.ENRICHING_S)

    def for_status(self, status: VideoStatus) -> timedelta | None:
        value = getattr(self, status, None)
        return value if isinstance(value, timedelta) else None


@dataclass(frozen=True)
class Page:
    videos: list[Video]
    next_token: str | None


@dataclass(frozen=True)
class VersionPage:
    """A page of a list as (video id, version) pairs: what a view rendered earlier is checked against."""

    entries: list[tuple[str, int]]
    next_token: str | None


# ---------------------------------------------------------------- API views


class MediaUrls(BaseModel):
    mp4_url: str
    hls_url: str | None = Field(
        default=None, description="Absent while the HLS recording stays in the channel's recording bucket"
    )
    poster_url: str
    thumbnail_urls: list[str]
    width: int
    height: int


# Projected fields that are the owner's business only: the candidates (chosen, unchosen or rejected) and the
# provisional title they were projected with. The public record carries the resulting `title` instead.
PRIVATE_FIELDS = frozenset({"title_candidates", "provisional_title"})


class PublicVideoView(BaseModel):
    """What anyone may see of a published video: what was published, never who owns it or the candidates."""

    video_id: VideoId
    channel_id: ChannelId
    channel_name: str | None = Field(default=None, description="The channel's display name")
    status: VideoStatus
    title: str | None = None
    title_provisional: bool = Field(
        default=False, description="True until the broadcaster picks a title: this is a generated candidate"
    )
    duration_ms: int | None = None
    created_at: UtcDatetime
    published_at: UtcDatetime | None = None
    media: MediaUrls | None = None
    fields: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Plugins' outputs projected onto the video (description, tags, captions, ...); every "
        "`*_key` under the video's prefix has a sibling `*_url` (a presigned GET). The public record leaves "
        f"out {', '.join(sorted(PRIVATE_FIELDS))}",
    )


class VideoView(PublicVideoView):
    """What the owner and admins see: everything, the owner id, reasons and the candidates included."""

    owner_id: OwnerId
    reason: str | None = None
    compute: Compute | None = Field(
        default=None,
        description="Where post-processing ran: `lambda` or `fargate` (for a failed video, where it failed)",
    )
    updated_at: UtcDatetime


class VideoPageView(BaseModel):
    videos: list[VideoView | PublicVideoView]
    next_token: str | None = Field(default=None, description="Pass as `next_token` for the next page")


class HistoryEntryView(BaseModel):
    at: UtcDatetime
    type: str = Field(examples=["Recording.Ended"])
    from_status: VideoStatus | None = Field(default=None, serialization_alias="from")
    to_status: VideoStatus | None = Field(default=None, serialization_alias="to")
    applied: bool = Field(description="False when the event arrived late and did not change the status")
    reason: str | None = None
    plugin: str | None = Field(default=None, description="The plugin this entry is about, if any")
    hook: Hook | None = Field(default=None, description="The plugin's hook (Lifecycle.Completed's results)")
    outcome: PluginOutcome | None = Field(
        default=None, description="The plugin's result, one entry per plugin of Lifecycle.Completed"
    )
    duration_ms: int | None = Field(default=None, description="How long the plugin took")
    correlation_id: str | None = None


class HistoryView(BaseModel):
    video_id: VideoId
    status: VideoStatus
    history: list[HistoryEntryView]


class MeView(BaseModel):
    sub: str
    username: str | None = None
    email: str | None = None
    groups: list[str]
