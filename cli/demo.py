"""`svideo demo`: a newcomer's first broadcast on the local cloud, end to end, told as it happens.

Starts (or reuses) the local cloud with every stack, signs a broadcaster up in the local Cognito, creates a
channel through the public API, pushes a generated clip with spoken words over RTMP in real time, follows the
bus until the video reaches a terminal state, then prints the video record and where to watch it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from cli import control
from local import platform_client

# One clear topic, so the transcript and the titles have something to name.
DEMO_TEXT = (
    "Welcome to the volcano show. Today we talk about volcanoes. A volcano is an opening in the crust of "
    "the earth. When a volcano erupts, hot lava, ash and gas escape from the magma chamber below. "
    "Volcanoes build mountains and islands, like Hawaii and Iceland. Scientists who study volcanoes watch "
    "earthquakes and gas to predict the next eruption."
)
TERMINAL_STATUSES = frozenset({"published", "invalid", "failed", "deleted"})
BROADCASTER_GROUP = "broadcaster"
PLUGIN_DEVELOPER_GROUP = "plugin-developer"
BUILT_IN_PLUGINS = Path(__file__).resolve().parent.parent / "plugins"
API_TIMEOUT_SECONDS = 30
# A newcomer's first video publishes seconds after the push, not a minute (the default window).
DEMO_RECONNECT_WINDOW_SECONDS = 5
# Each milestone of the video's life, the part that emits it, and the prefix of that part's function logs.
MILESTONES: tuple[tuple[str, str, str], ...] = (
    ("Broadcast.Started", "channel service (IVS events)", "ChannelStack-*-IvsEvents"),
    ("Recording.Ended", "channel service (IVS events)", "ChannelStack-*-IvsEvents"),
    ("Video.StatusChanged", "video service (catalog events)", "VideoStack-*-CatalogEvents"),
    ("Video.Processed", "postprocess service", "PostprocessStack-"),
    ("Lifecycle.Completed", "plugins lifecycle", "PluginsStack-"),
    ("Video.Published", "video service (catalog events)", "VideoStack-*-CatalogEvents"),
)


class DemoError(control.CliError):
    """A demo step failed: printed as one clear message, exit status 1."""


@dataclass
class DemoOptions:
    state_dir: Path
    port: int = 4566
    app: str | None = None
    assembly: str | None = None
    stage: str = "local"
    context: list[str] = field(default_factory=list)
    clip_seconds: float = 24.0
    timeout_seconds: float = 420.0  # from the end of the push to a terminal status
    text: str = DEMO_TEXT
    down: bool = False


@dataclass
class DemoResult:
    """What happened, for callers that check it (the end-to-end test); the stream key is never printed."""

    endpoint: str
    channel_id: str
    video_id: str | None
    status: str | None
    video: dict[str, Any] | None
    events: list[dict[str, Any]]
    stream_key: str
    transcript: str | None = None
    captions: str | None = None


class Narrator:
    """Prints the demo's story; every line passes through the masker so no secret reaches the terminal."""

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self._write = write
        self._secrets: list[str] = []

    def hide(self, secret: str) -> None:
        self._secrets.append(secret)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, mask(secret))
        return text

    def __call__(self, text: str = "") -> None:
        self._write(self.scrub(text))

    def step(self, title: str) -> None:
        self(f"\n== {title}")


def mask(stream_key: str) -> str:
    """`sk_us-east-1_AbC...` → `sk_us-east-1_****`: the prefix says what it is, nothing says what it holds."""
    prefix, _, _ = stream_key.rpartition("_")
    return f"{prefix}_****" if prefix else "****"


# ---------------------------------------------------------------- the cloud


def ensure_cloud(options: DemoOptions, say: Narrator) -> str:
    """Reuses a running cloud (deploying the app again) or starts one detached; returns the endpoint."""
    directory = options.state_dir
    captured = _Progress(say)
    started = time.monotonic()
    try:
        with contextlib.redirect_stdout(captured):
            directory.mkdir(parents=True, exist_ok=True)
            context = control.context_of(options.context)
            assembly = control.assembly_for(options.app, options.assembly, options.stage, context, directory)
            if (directory / control.CLOUD_FILE).is_file() and control.alive(directory):
                say(f"reusing the local cloud at {control.endpoint(directory)}; deploying the app again")
                control.internal(directory, "POST", "deploy", {"assembly": str(assembly)})
            else:
                say("starting the local cloud: synthesizing the CDK app and deploying every stack")
                control.start_detached(directory, assembly, options.port)
    except control.CliError as exc:
        raise DemoError(f"the local cloud did not come up: {exc}") from exc
    endpoint = control.endpoint(directory)
    stacks = control.internal(directory, "GET", "stacks")["stacks"]
    say(f"local cloud ready at {endpoint} in {time.monotonic() - started:.0f}s; {len(stacks)} stacks:")
    width = max((len(stack["name"]) for stack in stacks), default=0)
    for stack in stacks:
        skipped = [r for r in stack["resources"] if r["status"] == "skipped"]
        note = f", skipped: {', '.join(r['type'] for r in skipped)}" if skipped else ""
        say(f"  {stack['name']:<{width}} {stack['status']} ({len(stack['resources'])} resources{note})")
    return endpoint


class _Progress(io.StringIO):
    """Stands in for stdout while the CLI brings the cloud up: its progress lines go on at once, the rest
    (every stack's outputs) is summarised afterwards."""

    def __init__(self, say: Narrator) -> None:
        super().__init__()
        self._say = say
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.startswith(("synth:", "starting", "reusing", "local cloud:")):
                self._say(line)
        return len(text)


class Cloud:
    """boto3 and the HTTP API against one local endpoint, with the stage's shared names from SSM."""

    def __init__(self, endpoint: str, stage: str) -> None:
        import boto3

        self.endpoint = endpoint
        self.stage = stage
        self._session: Any = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
        )

    def client(self, service: str) -> Any:
        return self._session.client(service, endpoint_url=self.endpoint)

    def parameter(self, key: str) -> str:
        from infra.naming import parameter_name

        try:
            return platform_client.read_parameter(self.client("ssm"), self.stage, key)
        except Exception as exc:  # any failure here means the stack that publishes it is not deployed
            name = parameter_name(self.stage, key)
            raise DemoError(f"SSM parameter {name} is missing: is its stack deployed? ({exc})") from exc


# ---------------------------------------------------------------- broadcaster, channel


def sign_in_broadcaster(cloud: Cloud, say: Narrator) -> str:
    """Creates a broadcaster in the local Cognito with the admin API and signs in; returns the id token."""
    from infra.naming import IdentityParameter

    pool_id = cloud.parameter(IdentityParameter.USER_POOL_ID)
    client_id = cloud.parameter(IdentityParameter.USER_POOL_CLIENT_ID)
    email = f"broadcaster-{uuid.uuid4().hex[:8]}@example.com"
    password = f"Demo-{secrets.token_urlsafe(12)}-9a!"
    idp = cloud.client("cognito-idp")
    groups = (BROADCASTER_GROUP, PLUGIN_DEVELOPER_GROUP)  # plugin-developer: to register the built-ins
    platform_client.create_user(idp, pool_id, email, password, groups)
    token = platform_client.sign_in(idp, client_id, email, password)
    say(f"user {email} (groups {BROADCASTER_GROUP}, {PLUGIN_DEVELOPER_GROUP}) in pool {pool_id}: signed in")
    return token


def api_call(cloud: Cloud, method: str, path: str, token: str | None, body: Any = None) -> Any:
    from infra.naming import VideoParameter

    api_url = cloud.parameter(VideoParameter.API_URL)
    try:
        status, answer = platform_client.call_api(api_url, method, path, token, body, API_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise DemoError(f"{method} {path} did not answer: {exc}") from exc
    if status >= 400:
        text = answer if isinstance(answer, str) else json.dumps(answer)
        raise DemoError(f"{method} {path} answered {status}: {text[:500]}")
    return answer


def register_built_in_plugins(cloud: Cloud, token: str, say: Narrator) -> None:
    """The plugin stacks subscribe the plugins; the registry learns their manifests through the API."""
    from services.plugins.manifest import load_manifest

    for path in sorted(BUILT_IN_PLUGINS.glob("*/manifest.yaml")):
        manifest = load_manifest(str(path))
        try:
            api_call(cloud, "POST", "/plugins", token, manifest.model_dump(mode="json"))
        except DemoError as exc:
            if " answered 409" not in str(exc):  # 409: an earlier demo on this cloud registered it
                raise
            say(f"  {manifest.name:<11} already registered")
            continue
        say(f"  {manifest.name:<11} registered ({manifest.hook}, timeout {manifest.timeout_seconds} s)")


# ---------------------------------------------------------------- the clip


def make_clip(text: str, seconds: float, directory: Path, say: Narrator) -> Path:
    """espeak-ng speaks the text into a WAV; ffmpeg lays it over a test pattern as an FLV-ready MP4."""
    for tool in ("espeak-ng", "ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            raise DemoError(f"{tool} is not installed (`make setup` installs it)")
    directory.mkdir(parents=True, exist_ok=True)
    speech, clip = directory / "speech.wav", directory / "clip.mp4"
    _run(["espeak-ng", "-s", "160", "-w", str(speech), text], "espeak-ng")
    spoken = float(
        _run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(speech)],
            "ffprobe",
        ).strip()
    )
    length = max(seconds, 4.0)
    _run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=30:duration={length}",
            "-i", str(speech),
            "-filter_complex", "[1:a]apad[audio]", "-map", "0:v", "-map", "[audio]", "-t", str(length),
            "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "96k", "-ar", "44100", str(clip),
        ],
        "ffmpeg",
    )  # fmt: skip
    words = text.split()
    said = " ".join(words[:12]) + (" ..." if len(words) > 12 else "")
    note = " (cut: the clip is shorter than the speech)" if spoken > length else ""
    say(f'clip: {length:.0f} s of 640x360 test pattern with {spoken:.1f} s of speech{note}: "{said}"')
    return clip


def _run(command: list[str], name: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if result.returncode != 0:
        raise DemoError(f"{name} failed (exit {result.returncode}): {result.stderr[-1000:]}")
    return result.stdout


def start_push(clip: Path, ingest_server: str, stream_key: str) -> subprocess.Popen[bytes]:
    """ffmpeg publishes the clip at its own pace (`-re`), as OBS would. Its errors name the URL, so the key:
    they stay in memory (a pipe; errors only, far below its buffer) and are scrubbed before printing."""
    return subprocess.Popen(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", str(clip),
            "-c", "copy", "-f", "flv", ingest_server.rstrip("/") + "/" + stream_key,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


# ---------------------------------------------------------------- the bus


def summary(event: dict[str, Any]) -> str:
    """One line about an event, for people: what changed, for which video."""
    detail: dict[str, Any] = event.get("detail") or {}
    kind = str(event.get("detail-type", ""))
    get = detail.get
    seconds = (get("recording") or {}).get("duration_ms") or get("recording_duration_ms") or 0
    match kind:
        case "IVS Stream State Change":
            return f"{get('event_name')} (stream {get('stream_id')})"
        case "IVS Recording State Change":
            return f"{get('recording_status')} -> s3://{get('recording_s3_bucket_name')}/..."
        case "Channel.Created":
            return f'channel {get("channel_id")} "{get("display_name")}"'
        case "Broadcast.Started":
            return f"{get('channel_id')} is live, recording into video {get('video_id')}"
        case "Broadcast.Ended":
            return f"{get('channel_id')} is offline"
        case "Recording.Ended":
            renditions = len((get("recording") or {}).get("renditions") or [])
            return f"video {get('video_id')}: {seconds / 1000:.1f} s recorded, {renditions} rendition(s)"
        case "Recording.Failed" | "Video.ProcessingFailed":
            return f"video {get('video_id')}: {get('reason')}"
        case "Video.StatusChanged":
            reason = f" ({get('reason')})" if get("reason") else ""
            return f"video {get('video_id')}: {get('from') or 'new'} -> {get('to')}{reason}"
        case "Video.Processed":
            media = get("media") or {}
            return (
                f"{get('compute')}: MP4 {media.get('width')}x{media.get('height')}, "
                f"{(media.get('bytes') or 0) / 1e6:.1f} MB, {(media.get('duration_ms') or 0) / 1000:.1f} s"
            )
        case "Plugin.Invoked":
            return f"{get('plugin')} ({get('hook')})"
        case "Plugin.Completed":
            error = (get("error") or {}).get("message")
            return f"{get('plugin')}: {get('status')}" + (f" ({error})" if error else "")
        case "Lifecycle.Completed":
            results = ", ".join(f"{r.get('plugin')} {r.get('status')}" for r in get("results") or [])
            return f"verdict {get('verdict')}: {results}"
        case "Transcript.Completed":
            return f"{get('word_count')} words ({get('language')})"
        case "Titles.Generated":
            titles = [c.get("title") for c in get("candidates") or []]
            return f'{len(titles)} candidates, first: "{titles[0] if titles else ""}"'
        case "Avatars.Generated":
            return f"{len(get('avatars') or [])} avatar(s)"
        case "Video.Published":
            return f'video {get("video_id")}: "{get("title")}"'
    fields = [f"{k}={v}" for k, v in detail.items() if k != "meta" and isinstance(v, str | int | float)]
    return ", ".join(fields[:4])


class BusFollower:
    """New lines of the cloud's event journal (`<state>/events.jsonl`), from a given offset."""

    def __init__(self, journal: Path) -> None:
        self.journal = journal
        self.offset = journal.stat().st_size if journal.is_file() else 0

    def poll(self) -> Iterator[dict[str, Any]]:
        if not self.journal.is_file():
            return
        if self.journal.stat().st_size < self.offset:
            self.offset = 0  # a new cloud started a new journal
        with self.journal.open() as handle:
            handle.seek(self.offset)
            while (line := handle.readline()).endswith("\n"):
                self.offset = handle.tell()
                with contextlib.suppress(ValueError):
                    yield json.loads(line)


@dataclass
class Broadcast:
    """What the demo knows about its own broadcast, to keep other traffic on the bus out of the story."""

    channel_id: str
    ivs_channel_name: str | None = None
    video_id: str | None = None
    status: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    def concerns(self, event: dict[str, Any]) -> bool:
        detail = event.get("detail") or {}
        if detail.get("channel_id") == self.channel_id and event.get("detail-type") == "Channel.Created":
            self.ivs_channel_name = detail.get("ivs_channel_name")
        if detail.get("channel_id") == self.channel_id and detail.get("video_id") and not self.video_id:
            self.video_id = detail["video_id"]
        return (
            detail.get("channel_id") == self.channel_id
            or (self.video_id is not None and detail.get("video_id") == self.video_id)
            or (self.ivs_channel_name is not None and detail.get("channel_name") == self.ivs_channel_name)
        )

    def record(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        detail = event.get("detail") or {}
        if event.get("detail-type") == "Video.StatusChanged" and detail.get("video_id") == self.video_id:
            self.status = detail.get("to")
        elif event.get("detail-type") == "Video.Published" and detail.get("video_id") == self.video_id:
            self.status = "published"

    def seen(self, detail_type: str) -> bool:
        return any(event.get("detail-type") == detail_type for event in self.events)

    def finished(self) -> bool:
        """A terminal status, and for a published video its announcement too: the outbox carries each
        detail-type on its own Pipe, so Video.Published may reach the bus after the status change."""
        if self.status not in TERMINAL_STATUSES:
            return False
        return self.status != "published" or self.seen("Video.Published")


def print_event(say: Narrator, event: dict[str, Any], started: float) -> None:
    at = datetime.now(UTC).strftime("%H:%M:%S")
    say(
        f"  {at} +{time.monotonic() - started:5.1f}s  {event.get('source', ''):<24} "
        f"{event.get('detail-type', ''):<27} {summary(event)}"
    )


# ---------------------------------------------------------------- diagnosis and the record


def diagnose(options: DemoOptions, broadcast: Broadcast, say: Narrator) -> str:
    """Names the first milestone that never came, prints its part's recent errors; returns the reason."""
    missing = next(((name, part, logs) for name, part, logs in MILESTONES if not broadcast.seen(name)), None)
    if missing is None:
        return f"the video stayed in {broadcast.status!r}"
    name, part, prefix = missing
    reason = f"no {name} event: the {part} did not emit it"
    logs_dir = options.state_dir / "logs"
    logs = sorted(logs_dir.glob(f"{prefix}*.log")) if logs_dir.is_dir() else []
    if not logs:
        say(f"  no function log matches {prefix}* (is its stack deployed? `svideo status`)")
    for log in logs:
        lines = [
            record.get("message", "")
            for record in _log_records(log)
            if record.get("stream") != "platform" and "Subsegment" not in record.get("message", "")
        ]
        say(f"  last lines of `svideo logs {log.stem}`:")
        for line in lines[-15:]:
            say(f"    {line[:300]}")
    with contextlib.suppress(control.CliError):
        for queue in control.internal(options.state_dir, "GET", "dlq", timeout=10)["queues"]:
            if queue["depth"]:
                say(f"  dead letters: {queue['name']} holds {queue['depth']} (`svideo dlq list`)")
    return reason


def _log_records(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            yield json.loads(line)


def _artefact(cloud: Cloud, key: Any) -> str | None:
    from infra.naming import VideoParameter

    if not isinstance(key, str):
        return None
    bucket = cloud.parameter(VideoParameter.MEDIA_BUCKET)
    try:
        body: bytes = cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception:  # a missing artefact is reported as missing, whatever the S3 error
        return None
    return body.decode(errors="replace")


def print_record(cloud: Cloud, token: str, broadcast: Broadcast, result: DemoResult, say: Narrator) -> None:
    assert broadcast.video_id is not None
    video = api_call(cloud, "GET", f"/videos/{broadcast.video_id}", token)
    result.video = video
    fields: dict[str, Any] = video.get("fields") or {}
    candidates = [c.get("title") for c in fields.get("title_candidates") or [] if isinstance(c, dict)]
    result.transcript = _artefact(cloud, fields.get("transcript_key"))
    result.captions = _artefact(cloud, fields.get("captions_key"))
    processed = next((e for e in broadcast.events if e.get("detail-type") == "Video.Processed"), None)
    lifecycle = next((e for e in broadcast.events if e.get("detail-type") == "Lifecycle.Completed"), None)
    duration = video.get("duration_ms")
    say(f"video {video['video_id']} (GET /videos/{video['video_id']})")
    say(f"  status       {video['status']}" + (f" ({video['reason']})" if video.get("reason") else ""))
    say(f"  title        {video.get('title') or fields.get('provisional_title') or '-'}")
    for number, title in enumerate(candidates, 1):
        say(f"    candidate {number}: {title}")
    say(f"  description  {fields.get('description') or '-'}")
    say(f"  tags         {', '.join(fields.get('tags') or []) or '-'}")
    transcript = " ".join((result.transcript or "").split())
    excerpt = transcript[:160] + ("..." if len(transcript) > 160 else "")
    cues = result.captions.count("-->") if result.captions else 0
    say(f"  transcript   {excerpt or '-'}")
    say(f"  captions     {f'WebVTT, {cues} cues' if result.captions else '-'}")
    say(f"  duration     {duration / 1000:.1f} s" if duration else "  duration     -")
    if processed:
        compute, timings = processed["detail"].get("compute"), processed["detail"].get("timings") or {}
        say(f"  compute      {compute} (stitched in {timings.get('stitch_ms')} ms)")
    if lifecycle:
        for plugin in lifecycle["detail"].get("results") or []:
            why = f" ({plugin.get('reason')})" if plugin.get("reason") else ""
            say(
                f"  plugin       {plugin.get('plugin'):<12} {plugin.get('status')}{why}, "
                f"{plugin.get('duration_ms')} ms"
            )
    say("\nwhere to watch it:")
    say(f"  web app      {cloud.endpoint}/web/watch/{video['video_id']}")
    media = video.get("media") or {}
    if media.get("mp4_url"):
        say(f"  MP4          {media['mp4_url']}")
    if media.get("hls_url"):
        say(f"  HLS          {media['hls_url']}")


# ---------------------------------------------------------------- the story


def run_demo(options: DemoOptions, say: Narrator | None = None) -> DemoResult:
    say = say or Narrator()
    say.step("1. the local cloud")
    endpoint = ensure_cloud(options, say)
    cloud = Cloud(endpoint, options.stage)

    say.step("2. a broadcaster signs up and signs in (local Cognito)")
    token = sign_in_broadcaster(cloud, say)

    say("built-in plugins (POST /plugins):")
    register_built_in_plugins(cloud, token, say)

    say.step("3. a channel, through the public HTTP API")
    journal = BusFollower(options.state_dir / "events.jsonl")
    body = {"name": "Volcano Show", "reconnect_window_seconds": DEMO_RECONNECT_WINDOW_SECONDS}
    channel = api_call(cloud, "POST", "/channels", token, body)
    stream_key: str = channel["stream_key"]
    say.hide(stream_key)
    ingest = channel["ingest"]["server"]
    say(f'channel {channel["channel_id"]} "{channel["name"]}" (POST /channels -> 201)')
    say(f"  ingest URL   {ingest}   stream key {mask(stream_key)} (shown once; never stored in plaintext)")
    say(f"  playback     {channel.get('playback_url')} (while live)")
    say(
        f"  reconnect window {channel.get('reconnect_window_seconds')} s: a dropped push may resume for that"
        " long; then the recording ends and is processed"
    )
    result = DemoResult(endpoint, channel["channel_id"], None, None, None, [], stream_key)

    say.step("4. a clip with spoken words")
    work = options.state_dir / "demo"
    clip = make_clip(options.text, options.clip_seconds, work, say)

    say.step("5. go live: ffmpeg pushes the clip over RTMP in real time; the bus, as it happens")
    broadcast = Broadcast(channel["channel_id"])
    result.events = broadcast.events
    push = start_push(clip, ingest, stream_key)
    started = time.monotonic()
    say(f"  publishing {options.clip_seconds:.0f} s to {ingest}{mask(stream_key)} ...")
    pushed_at: float | None = None
    announced_window = False
    try:
        while True:
            for event in journal.poll():
                if broadcast.concerns(event):
                    broadcast.record(event)
                    print_event(say, event, started)
            if broadcast.finished():
                break
            if pushed_at is None and push.poll() is not None:
                pushed_at = time.monotonic()
                if push.returncode != 0:
                    error = say.scrub((push.stderr.read() if push.stderr else b"").decode(errors="replace"))
                    raise DemoError(f"ffmpeg could not publish (exit {push.returncode}): {error[-800:]}")
                say(f"  ... push done after {pushed_at - started:.1f} s; waiting for the platform")
            if pushed_at and not announced_window and broadcast.seen("Broadcast.Ended"):
                announced_window = True
                say(
                    f"  (the recording ends once the channel's {DEMO_RECONNECT_WINDOW_SECONDS} s reconnect"
                    " window passes, as on IVS)"
                )
            if pushed_at and time.monotonic() - pushed_at > options.timeout_seconds:
                say(f"\nthe video reached no terminal status within {options.timeout_seconds:.0f} s:")
                reason = diagnose(options, broadcast, say)
                result.video_id, result.status = broadcast.video_id, broadcast.status
                raise DemoError(f"the demo video did not finish: {reason}")
            time.sleep(0.25)
    finally:
        if push.poll() is None:
            push.terminate()
            push.wait(timeout=10)
    result.video_id, result.status = broadcast.video_id, broadcast.status

    say.step("6. the video record")
    print_record(cloud, token, broadcast, result, say)
    if broadcast.status != "published":
        raise DemoError(f"the demo video ended {broadcast.status}: {(result.video or {}).get('reason')}")
    return result


def cmd_demo(args: argparse.Namespace) -> int:
    options = DemoOptions(
        state_dir=control.state_dir(args.state_dir),
        port=args.port,
        app=args.app,
        assembly=args.assembly,
        stage=args.stage,
        context=list(args.context or []),
        clip_seconds=args.clip_seconds,
        timeout_seconds=args.timeout,
        down=args.down,
    )
    terminal = sys.stdout  # bound now: the CLI's stdout is redirected while the cloud comes up
    say = Narrator(lambda line: print(line, file=terminal, flush=True))
    try:
        run_demo(options, say)
    except control.CliError as exc:  # printed scrubbed of secrets, not by `main` as it is
        print(f"\nsvideo demo failed: {say.scrub(str(exc))}", file=sys.stderr, flush=True)
        return 1
    finally:
        if options.down:
            say.step("stopping the local cloud (--down)")
            control.stop(options.state_dir)
        else:
            say("\nthe local cloud keeps running: `svideo status`, `svideo events tail`, `svideo logs`;")
            say("stop it with `svideo down`.")
    return 0


def add_commands(commands: Any) -> None:
    demo = commands.add_parser(
        "demo", help="start the local cloud and broadcast a generated clip end to end, telling what happens"
    )
    control.app_options(demo)
    demo.add_argument("--port", type=int, default=4566)
    demo.add_argument("--clip-seconds", type=float, default=24.0, help="length of the pushed clip")
    demo.add_argument(
        "--timeout", type=float, default=420.0, help="seconds after the push for the video to finish"
    )
    demo.add_argument("--down", action="store_true", help="stop the local cloud at the end")
    demo.set_defaults(handler=cmd_demo)
