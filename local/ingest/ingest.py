"""The local ingest: nginx-rtmp in front, one recorder per broadcast, IVS's events and reconnect window."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.ingest import events as ivs_events
from local.ingest.layout import (
    new_recording_session_id,
    new_stream_id,
    parse_media_playlist,
    recording_prefix,
)
from local.ingest.nginx import APPLICATION, NginxConfig, NginxProcess
from local.ingest.recorder import Recording, RecordingPart, RecordingSettings
from local.ingest.viewers import viewer_count
from local.ingest.window import ReconnectWindows, RecordingSession

log = logging.getLogger("svideo.local.ingest")

# How long an on_publish answer waits for the part's recorder to attach; nginx gives up on the answer after
# NETCALL_TIMEOUT_SECONDS (local/ingest/nginx.py), so the wait stays well inside it.
RECORDER_ATTACH_SECONDS = 8
_DROP_RECORDER_AFTER = (
    1.0  # seconds after a publisher leaves before its recorder is cut (nginx flushes first)
)


@dataclass(frozen=True)
class PublishTarget:
    """The channel a valid stream key belongs to, as the IVS service resolves it."""

    channel_arn: str
    channel_id: str
    channel_name: str
    recording: RecordingSettings | None
    channel_snapshot: dict[str, Any] = field(default_factory=dict)
    recording_snapshot: dict[str, Any] | None = None


class ChannelBusyError(Exception):
    """The channel already has a live stream (IVS allows one broadcast per channel)."""


@dataclass
class StreamRecord:
    """One stream (one RTMP connection) for GetStream / ListStreamSessions / GetStreamSession."""

    stream_id: str
    target: PublishTarget
    client_id: str
    start_time: datetime
    end_time: datetime | None = None
    events: list[tuple[str, datetime]] = field(default_factory=list)
    recording: Recording | None = None
    ended_monotonic: float | None = None
    has_error: bool = False


class Ingest:
    def __init__(
        self,
        root: Path,
        *,
        account_id: str,
        host: str,
        rtmp_port: int,
        http_port: int,
        s3: Callable[[], Any],
        put_events: Callable[[list[dict[str, Any]]], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.account_id = account_id
        self.host = host
        self.rtmp_port = rtmp_port
        self.http_port = http_port
        self._s3 = s3
        self._put_events = put_events
        self._windows = ReconnectWindows(clock)
        self._clock = clock
        self._nginx: NginxProcess | None = None
        self._lock = threading.RLock()
        self._live: dict[str, StreamRecord] = {}  # channel ARN -> the live stream
        self._by_client: dict[str, StreamRecord] = {}
        self._history: dict[str, list[StreamRecord]] = {}
        self._recordings: dict[str, Recording] = {}  # recording session id -> recording
        self._unrecorded: list[Recording] = []  # live-only broadcasts waiting to be cleaned up
        self._events: queue.Queue[ivs_events.IvsEvent | None] = queue.Queue()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- addresses -----------------------------------------------------------------------------------------
    @property
    def ingest_endpoint(self) -> str:
        """What IVS calls `ingestEndpoint`; the publish URL is `rtmp://<ingestEndpoint>/app/<stream key>`."""
        return f"{self.host}:{self.rtmp_port}"

    def playback_url(self, channel_id: str) -> str:
        return f"http://{self.host}:{self.http_port}/live/{channel_id}.m3u8"

    # -- life cycle ----------------------------------------------------------------------------------------
    def start(self, *, on_publish_url: str, on_publish_done_url: str) -> None:
        self._nginx = NginxProcess(
            NginxConfig(
                self.root, self.host, self.rtmp_port, self.http_port, on_publish_url, on_publish_done_url
            )
        )
        self._nginx.start()
        self._stopping.clear()
        for target, name in ((self._emit_loop, "ivs-events"), (self._tick_loop, "ivs-recordings")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Disconnect everyone, close every recording (Recording End now, the window does not outlive the
        cloud)."""
        if self._nginx is not None:
            self._nginx.stop()
        with self._lock:
            for record in list(self._live.values()):
                self._end_stream(record)
            sessions = self._windows.close_all()
        for session in sessions:
            self._finish_recording(session)
        for recording in self._unrecorded:
            recording.finish(datetime.now(UTC))
            recording.discard_local()
        self._unrecorded.clear()
        self._stopping.set()
        self._events.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()

    # -- nginx callbacks -----------------------------------------------------------------------------------
    def begin_publish(self, target: PublishTarget, client_id: str) -> str:
        """Accept a publish whose key resolved to `target`; returns the internal stream name (the channel
        id)."""
        with self._lock:
            if target.channel_arn in self._live:
                raise ChannelBusyError(f"channel {target.channel_id} is already live")
            now = datetime.now(UTC)
            record = StreamRecord(new_stream_id(), target, client_id, now)
            self._live[target.channel_arn] = record
            self._by_client[client_id] = record
            self._history.setdefault(target.channel_arn, []).append(record)
            self._emit_stream(record, "Session Created")
            self._emit_stream(record, "Stream Start")
            record.recording = self._recording_for(record)
            recording = record.recording
        if recording is not None:
            self._stop_previous_parts(recording, target.channel_id)
            part = recording.add_part()
            # A resumed broadcast's master still names the closed part: none until the new part has a segment.
            self._remove_live_master(target.channel_id)
            self._wait_for_recorder(target.channel_id, part)
        log.info("stream %s started on channel %s", record.stream_id, target.channel_arn)
        return target.channel_id

    def end_publish(self, client_id: str) -> None:
        with self._lock:
            record = self._by_client.pop(client_id, None)
            if record is None or record.end_time is not None:
                return
            self._end_stream(record)

    def stop_stream(self, channel_arn: str) -> bool:
        """StopStream: disconnect the publisher; nginx then reports publish_done and the stream ends
        normally."""
        with self._lock:
            record = self._live.get(channel_arn)
        if record is None or self._nginx is None:
            return False
        return self._nginx.drop_publisher(record.target.channel_id)

    # -- queries -------------------------------------------------------------------------------------------
    def live_stream(self, channel_arn: str) -> StreamRecord | None:
        with self._lock:
            return self._live.get(channel_arn)

    def viewer_count(self, channel_id: str) -> int:
        """Players of the channel's live HLS now, from the playback requests nginx logged (viewers.py)."""
        return viewer_count(self.root / "playback.log", channel_id, time.time())

    def live_streams(self) -> list[StreamRecord]:
        with self._lock:
            return list(self._live.values())

    def stream_history(self, channel_arn: str) -> list[StreamRecord]:
        with self._lock:
            return list(self._history.get(channel_arn, []))

    # -- internals -----------------------------------------------------------------------------------------
    def _recording_for(self, record: StreamRecord) -> Recording | None:
        target = record.target
        source_url = f"rtmp://{self.host}:{self.rtmp_port}/{APPLICATION}/{target.channel_id}"
        work_root = self.root / "live" / target.channel_id

        def unrecorded(recording_id: str) -> Recording:
            recording = Recording(
                recording_id=recording_id,
                work_dir=work_root / recording_id,
                source_url=source_url,
                channel_arn=target.channel_arn,
                started_at=record.start_time,
                settings=None,
                prefix="",
                s3=None,
            )
            self._unrecorded.append(recording)
            return recording

        settings = target.recording
        if settings is None:
            return unrecorded(record.stream_id)
        session, is_new = self._windows.stream_started(
            target.channel_arn,
            record.stream_id,
            window_seconds=settings.reconnect_window_seconds,
            new_recording_id=new_recording_session_id,
        )
        if not is_new and session.recording_id in self._recordings:
            return self._recordings[session.recording_id]
        prefix = recording_prefix(self.account_id, target.channel_id, record.start_time, session.recording_id)

        def emit_start(status: ivs_events.RecordingStatus, reason: str = "") -> None:
            self._emit(
                ivs_events.recording_state_change(
                    status,
                    channel_arn=target.channel_arn,
                    channel_name=target.channel_name,
                    stream_id=record.stream_id,
                    bucket=settings.bucket,
                    key_prefix=prefix,
                    duration_ms=0,
                    recording_session_id=session.recording_id,
                    stream_ids=session.stream_ids,
                    reason=reason,
                )
            )

        failure = self._check_bucket(settings.bucket)
        if failure is not None:
            self._windows.discard(target.channel_arn)
            emit_start("Recording Start Failure", failure)
            record.has_error = True
            return unrecorded(session.recording_id)  # still live-playable, but nothing is recorded
        recording = Recording(
            recording_id=session.recording_id,
            work_dir=work_root / session.recording_id,
            source_url=source_url,
            channel_arn=target.channel_arn,
            started_at=record.start_time,
            settings=settings,
            prefix=prefix,
            s3=self._s3(),
        )
        self._recordings[session.recording_id] = recording
        emit_start("Recording Start")
        self._record_event(record, "Recording Start")
        return recording

    def _check_bucket(self, bucket: str) -> str | None:
        try:
            self._s3().head_bucket(Bucket=bucket)
        except Exception as exc:  # NoSuchBucket / 403: IVS reports Recording Start Failure
            return f"cannot write to s3://{bucket}: {exc}"
        return None

    def _end_stream(self, record: StreamRecord) -> None:
        record.end_time = datetime.now(UTC)
        record.ended_monotonic = self._clock()
        self._live.pop(record.target.channel_arn, None)
        self._by_client.pop(record.client_id, None)
        self._emit_stream(record, "Stream End")
        self._emit_stream(record, "Session Ended")
        if record.target.recording is not None and record.recording in self._recordings.values():
            self._windows.stream_ended(record.target.channel_arn)
        log.info("stream %s ended on channel %s", record.stream_id, record.target.channel_arn)

    def _stop_previous_parts(self, recording: Recording, stream_name: str) -> None:
        """A resumed broadcast gets a new part; the previous recorder must not pick up the new publish."""
        running = [part for part in recording.parts if not part.finished]
        if running and self._nginx is not None:
            self._nginx.drop_subscribers(stream_name)
            for part in running:
                part.wait(timeout=5)

    def _wait_for_recorder(self, stream_name: str, part: RecordingPart) -> None:
        """Hold the publish (nginx waits on this on_publish answer) until this part's recorder is attached,
        so the recording starts at the first frame."""
        deadline = time.monotonic() + RECORDER_ATTACH_SECONDS
        while self._nginx is not None and time.monotonic() < deadline and not part.finished:
            if self._nginx.player_attached(stream_name, part.tag):
                return
            time.sleep(0.05)
        log.warning(
            "recorder for %s did not attach within %d s; the recording may miss the first seconds",
            stream_name,
            RECORDER_ATTACH_SECONDS,
        )

    def _write_live_master(self, channel_id: str, recording: Recording) -> None:
        """The playback URL's master playlist, once the live part's playlist lists a segment: the master only
        ever names a rendition playlist that exists (the recorder writes its first after one segment)."""
        playlist = recording.live_playlist_path()
        if playlist is None or not playlist.is_file() or not parse_media_playlist(playlist.read_text())[0]:
            return
        relative = playlist.relative_to(self.root / "live")
        master = self.root / "live" / f"{channel_id}.m3u8"
        text = f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=2500000\n{relative}\n"
        if master.is_file() and master.read_text() == text:
            return
        temporary = master.with_suffix(".m3u8.tmp")
        temporary.write_text(text)
        temporary.replace(master)

    def _remove_live_master(self, channel_id: str) -> None:
        (self.root / "live" / f"{channel_id}.m3u8").unlink(missing_ok=True)

    def _tick_loop(self) -> None:
        while not self._stopping.wait(0.5):
            try:
                self._tick()
            except Exception:
                log.exception("ingest tick failed")

    def _tick(self) -> None:
        with self._lock:
            recordings = list(self._recordings.values()) + list(self._unrecorded)
            ended_streams = [
                r
                for records in self._history.values()
                for r in records
                if r.ended_monotonic is not None and r.recording is not None
            ]
            live_channels = set(self._live)
            live_recordings = [(r.target.channel_id, r.recording) for r in self._live.values() if r.recording]
        for recording in recordings:
            recording.sync()
        for channel_id, live_recording in live_recordings:
            self._write_live_master(channel_id, live_recording)
        now = self._clock()
        for record in ended_streams:
            part = record.recording.current_part if record.recording else None
            if (
                part is not None
                and not part.finished
                and record.target.channel_arn not in live_channels
                and record.ended_monotonic is not None
                and now - record.ended_monotonic > _DROP_RECORDER_AFTER
                and self._nginx is not None
            ):
                self._nginx.drop_subscribers(record.target.channel_id)
        with self._lock:
            expired = self._windows.expired()
            finished_unrecorded = [
                r
                for r in self._unrecorded
                if r.parts and all(p.finished for p in r.parts) and r.channel_arn not in self._live
            ]
            for recording in finished_unrecorded:
                self._unrecorded.remove(recording)
        for session in expired:
            self._finish_recording(session)
        for recording in finished_unrecorded:
            recording.discard_local()
            self._remove_live_master(recording.work_dir.parent.name)

    def _finish_recording(self, session: RecordingSession) -> None:
        with self._lock:
            recording = self._recordings.pop(session.recording_id, None)
            history = self._history.get(session.channel_arn, [])
            last = next((r for r in reversed(history) if r.stream_id == session.stream_ids[-1]), None)
        if recording is None or last is None:
            return
        if self._nginx is not None and session.channel_arn not in self._live:
            self._nginx.drop_subscribers(last.target.channel_id)
        recording.finish(datetime.now(UTC))
        settings = last.target.recording
        assert settings is not None
        status: ivs_events.RecordingStatus = (
            "Recording End" if recording.failure is None else "Recording End Failure"
        )
        self._emit(
            ivs_events.recording_state_change(
                status,
                channel_arn=session.channel_arn,
                channel_name=last.target.channel_name,
                stream_id=last.stream_id,
                bucket=settings.bucket,
                key_prefix=recording.prefix,
                duration_ms=recording.duration_ms,
                recording_session_id=session.recording_id,
                stream_ids=session.stream_ids,
                reason=recording.failure or "",
            )
        )
        self._record_event(last, status)
        with self._lock:
            if session.channel_arn not in self._live:
                self._remove_live_master(last.target.channel_id)
        recording.discard_local()
        log.info(
            "recording %s ended (%d ms, %d streams) at s3://%s/%s",
            session.recording_id,
            recording.duration_ms,
            len(session.stream_ids),
            settings.bucket,
            recording.prefix,
        )

    def _emit_stream(self, record: StreamRecord, name: ivs_events.StreamEventName) -> None:
        self._record_event(record, name)
        self._emit(
            ivs_events.stream_state_change(
                name,
                channel_arn=record.target.channel_arn,
                channel_name=record.target.channel_name,
                stream_id=record.stream_id,
            )
        )

    @staticmethod
    def _record_event(record: StreamRecord, name: str) -> None:
        record.events.append((name, datetime.now(UTC)))

    def _emit(self, event: ivs_events.IvsEvent) -> None:
        self._events.put(event)

    def _emit_loop(self) -> None:
        """One sender keeps IVS's order on the bus (a slow PutEvents must not reorder Start and End)."""
        while True:
            event = self._events.get()
            if event is None:
                if self._stopping.is_set():
                    return
                continue
            try:
                self._put_events([event.entry()])
            except Exception:
                log.exception("putting %s on the default bus failed", event.detail_type)
