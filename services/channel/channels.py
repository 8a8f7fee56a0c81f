"""Channel lifecycle for the API: create, read, list, update, rotate the stream key, delete.

The stream key's value passes through `create` and `rotate` on its way to the owner and nowhere else: the
table keeps its ARN, events carry its id.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.channel.errors import ConflictError, ForbiddenError, NotFoundError
from services.channel.models import (
    Channel,
    ChannelPage,
    ChannelView,
    ChannelWithKey,
    CreateChannelRequest,
    Ingest,
    PublicChannelPage,
    PublicChannelView,
    UpdateChannelRequest,
)
from services.channel.ports import ChannelRepository, IvsPort
from shared.auth import Principal, require, require_signed_in
from shared.events import Publisher
from shared.events.base import Meta
from shared.events.channel import ChannelCreated, ChannelDeleted, StreamKeyRotated


@dataclass(frozen=True)
class ChannelSettings:
    """What channel creation needs from the stack: the recording configuration and naming/tagging."""

    recording_configuration_arn: str
    ivs_channel_prefix: str
    stage: str
    default_reconnect_window_seconds: int = 60

    def tags(self, channel_id: str) -> dict[str, str]:
        """IVS resources carry the stage: the functions' IAM policies allow only resources of their stage."""
        return {"project": "svideo", "stage": self.stage, "channel-id": channel_id}

    def recording_configuration_name(self, window_seconds: int) -> str:
        """One recording configuration per distinct window (IVS keeps the window there, not on channels)."""
        return f"{self.ivs_channel_prefix.removesuffix('ch-')}recordings-{window_seconds}s"


def _recording_configuration(
    ivs: IvsPort, repository: ChannelRepository, settings: ChannelSettings, window_seconds: int
) -> str:
    """The stack's configuration for the default window; else the one made for this window, made on first
    use (two at once may both make one: the first recorded wins, the other stays unused)."""
    if window_seconds == settings.default_reconnect_window_seconds:
        return settings.recording_configuration_arn
    known = repository.recording_configuration(window_seconds)
    if known is not None:
        return known
    created = ivs.create_recording_configuration(
        window_seconds=window_seconds,
        template_arn=settings.recording_configuration_arn,
        name=settings.recording_configuration_name(window_seconds),
        tags={"project": "svideo", "stage": settings.stage},
    )
    return repository.remember_recording_configuration(window_seconds, created)


def new_channel_id() -> str:
    return "ch-" + secrets.token_hex(6)


def ingest_of(endpoint: str) -> Ingest:
    """IVS gives a bare host (RTMPS on 443); an endpoint with a port (the local ingest) is plain RTMP."""
    if ":" in endpoint:
        return Ingest(server=f"rtmp://{endpoint}/app/", endpoint=endpoint)
    return Ingest(server=f"rtmps://{endpoint}:443/app/", endpoint=endpoint)


def public_view(channel: Channel, viewer_count: int | None = None) -> PublicChannelView:
    return PublicChannelView(
        channel_id=channel.channel_id,
        name=channel.display_name,
        live=channel.live,
        playback_url=channel.playback_url,
        live_since=channel.live_since if channel.live else None,
        viewer_count=viewer_count if channel.live else None,
    )


def reconnect_window(channel: Channel, default_seconds: int) -> int:
    window = channel.reconnect_window_seconds
    return default_seconds if window is None else window


def resume_deadline(channel: Channel, default_seconds: int) -> datetime | None:
    """Until when a dropped broadcast may resume into the same recording (None: live, or nothing pending)."""
    session = channel.recording
    if channel.live or session is None or session.ended or session.last_stream_ended_at is None:
        return None
    return session.last_stream_ended_at + timedelta(seconds=reconnect_window(channel, default_seconds))


def owner_view(
    channel: Channel, default_window_seconds: int = 60, viewer_count: int | None = None
) -> ChannelView:
    return ChannelView(
        **public_view(channel, viewer_count).model_dump(),
        owner_id=channel.owner_id,
        created_at=channel.created_at,
        stream_key_id=channel.stream_key_id,
        ingest=ingest_of(channel.ingest_endpoint),
        reconnect_window_seconds=reconnect_window(channel, default_window_seconds),
        resume_deadline=resume_deadline(channel, default_window_seconds),
    )


def _owned(repository: ChannelRepository, principal: Principal, channel_id: str, *, admin: bool) -> Channel:
    channel = repository.get(channel_id)
    if channel is None:
        raise NotFoundError(f"no channel {channel_id!r}")
    if not principal.owns(channel.owner_id) and not (admin and principal.is_admin):
        raise ForbiddenError(f"channel {channel_id!r} is not yours")
    return channel


def create_channel(
    principal: Principal,
    request: CreateChannelRequest,
    *,
    repository: ChannelRepository,
    ivs: IvsPort,
    publisher: Publisher,
    settings: ChannelSettings,
) -> ChannelWithKey:
    caller = require(principal, "broadcaster")
    owner_id = str(caller.sub)
    channel_id = new_channel_id()
    ivs_name = f"{settings.ivs_channel_prefix}{channel_id}"
    window = request.reconnect_window_seconds
    if window is None:
        window = settings.default_reconnect_window_seconds
    created = ivs.create_channel(
        name=ivs_name,
        recording_configuration_arn=_recording_configuration(ivs, repository, settings, window),
        tags=settings.tags(channel_id),
    )
    channel = Channel(
        channel_id=channel_id,
        owner_id=owner_id,
        display_name=request.name,
        ivs_channel_arn=created.arn,
        ivs_channel_name=created.name,
        stream_key_arn=created.stream_key.arn,
        ingest_endpoint=created.ingest_endpoint,
        playback_url=created.playback_url,
        created_at=datetime.now(UTC),
        reconnect_window_seconds=window,
    )
    try:
        repository.add(channel)
    except Exception:
        ivs.delete_channel(created.arn)  # no IVS channel without its row (it would record for nobody)
        raise
    publisher.publish(
        ChannelCreated(
            meta=Meta.now(),
            channel_id=channel_id,
            owner_id=owner_id,
            display_name=request.name,
            ivs_channel_name=created.name,
        ),
        resources=[created.arn],
    )
    return ChannelWithKey(
        **owner_view(channel, settings.default_reconnect_window_seconds).model_dump(),
        stream_key=created.stream_key.value.get_secret_value(),
    )


def list_my_channels(
    principal: Principal,
    *,
    repository: ChannelRepository,
    limit: int,
    token: str | None,
    default_window_seconds: int = 60,
) -> ChannelPage:
    caller = require_signed_in(principal)
    page = repository.list_by_owner(str(caller.sub), limit=limit, token=token)
    return ChannelPage(
        items=[owner_view(c, default_window_seconds) for c in page.items], next_token=page.next_token
    )


def list_live_channels(*, repository: ChannelRepository, limit: int, token: str | None) -> PublicChannelPage:
    page = repository.list_live(limit=limit, token=token)
    return PublicChannelPage(items=[public_view(c) for c in page.items], next_token=page.next_token)


def get_channel(
    principal: Principal,
    channel_id: str,
    *,
    repository: ChannelRepository,
    default_window_seconds: int = 60,
    ivs: IvsPort | None = None,
) -> ChannelView | PublicChannelView:
    channel = repository.get(channel_id)
    if channel is None:
        raise NotFoundError(f"no channel {channel_id!r}")
    viewers = ivs.viewer_count(channel.ivs_channel_arn) if ivs is not None and channel.live else None
    if principal.owns(channel.owner_id) or principal.is_admin:
        return owner_view(channel, default_window_seconds, viewers)
    return public_view(channel, viewers)


def update_channel(
    principal: Principal,
    channel_id: str,
    request: UpdateChannelRequest,
    *,
    repository: ChannelRepository,
    ivs: IvsPort,
    settings: ChannelSettings,
) -> ChannelView:
    """Rename, or change the reconnect window (IVS takes a new recording configuration only offline)."""
    caller = require_signed_in(principal)
    channel = _owned(repository, caller, channel_id, admin=True)
    updates: dict[str, object] = {}
    if request.name is not None:
        updates["display_name"] = request.name
    window = request.reconnect_window_seconds
    default = settings.default_reconnect_window_seconds
    if window is not None and window != reconnect_window(channel, default):
        if channel.live:
            raise ConflictError(
                "reconnect_window_seconds: the channel is live; change the window after the broadcast"
            )
        ivs.update_channel(
            channel.ivs_channel_arn,
            recording_configuration_arn=_recording_configuration(ivs, repository, settings, window),
        )
        updates["reconnect_window_seconds"] = window
    saved = repository.save(channel.model_copy(update=updates)) if updates else channel
    return owner_view(saved, default)


def rotate_stream_key(
    principal: Principal,
    channel_id: str,
    *,
    repository: ChannelRepository,
    ivs: IvsPort,
    publisher: Publisher,
    settings: ChannelSettings,
) -> ChannelWithKey:
    """IVS allows one key per channel: delete, then create; a live stream on the old key is stopped."""
    caller = require_signed_in(principal)
    channel = _owned(repository, caller, channel_id, admin=False)
    ivs.delete_stream_key(channel.stream_key_arn)
    key = ivs.create_stream_key(channel.ivs_channel_arn, settings.tags(channel_id))
    saved = repository.save(channel.model_copy(update={"stream_key_arn": key.arn}))
    if channel.live:
        ivs.stop_stream(channel.ivs_channel_arn)
    publisher.publish(
        StreamKeyRotated(
            meta=Meta.now(), channel_id=channel_id, owner_id=channel.owner_id, stream_key_id=key.key_id
        ),
        resources=[channel.ivs_channel_arn],
    )
    return ChannelWithKey(
        **owner_view(saved, settings.default_reconnect_window_seconds).model_dump(),
        stream_key=key.value.get_secret_value(),
    )


def delete_channel(
    principal: Principal,
    channel_id: str,
    *,
    repository: ChannelRepository,
    ivs: IvsPort,
    publisher: Publisher,
) -> None:
    caller = require_signed_in(principal)
    channel = _owned(repository, caller, channel_id, admin=True)
    if channel.live:
        ivs.stop_stream(channel.ivs_channel_arn)  # IVS refuses to delete a channel that is live
    try:
        ivs.delete_channel(channel.ivs_channel_arn)
    except ConflictError:
        raise ConflictError(f"channel {channel_id!r} is still live; try again in a few seconds") from None
    repository.remove(channel_id)
    publisher.publish(
        ChannelDeleted(meta=Meta.now(), channel_id=channel_id, owner_id=channel.owner_id),
        resources=[channel.ivs_channel_arn],
    )
