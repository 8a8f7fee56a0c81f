"""What svideo costs on AWS per broadcast hour and per 1,000 videos, from a local run's measurements and AWS's
published prices (docs/costs.md explains each line).

    python scripts/costs.py measure --state-dir .svideo > usage.json   # a local cloud after `svideo demo`
    python scripts/costs.py model usage.json [--prices docs/aws-prices.json] [--video-minutes 30]

`measure` reads the running local cloud: the metrics it collected (Lambda durations per function, EMF), each
function's memory size, the event journal (events, recordings and their lengths, the outbox Pipe's events) and
the bytes stored in S3. `model` multiplies that usage, per recorded second and per video, by the prices file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
PRICES = REPO_ROOT / "docs" / "aws-prices.json"
POSTPROCESS_FUNCTION = "Processor"  # the post-processing Lambda's logical id (PostprocessStack)
OUTBOX_SOURCE = "svideo.video"  # the catalog's events reach the bus through its outbox Pipes
# Locally the transcript plugin runs Whisper in its function; on AWS that is Transcribe's work (per minute).
OFFLOADED_TO_AWS_SERVICES = ("TranscriptPluginStack",)
# Assumptions for what the offline adapters do not measure (they call no model): stated in docs/costs.md.
SPOKEN_WORDS_PER_MINUTE = 150
TOKENS_PER_WORD = 1.3
PROMPT_TOKENS = 800  # instructions and schema around the transcript, per model call
OUTPUT_TOKENS = 600  # title candidates, description and tags; the avatars' character list
MODEL_CALLS_PER_VIDEO = 2  # titles, characters (prompt chaining), each over the transcript
SQS_REQUESTS_PER_MESSAGE = 3  # send, receive, delete
SECONDS_PER_HOUR = 3600.0


def measure(state_dir: Path) -> dict[str, Any]:
    """The usage of one local run, normalised per video and per recorded second."""
    import boto3
    import requests

    endpoint = json.loads((state_dir / "cloud.json").read_text())["endpoint"]
    metrics = requests.get(f"{endpoint}/_svideo/metrics", timeout=30).json()["metrics"]
    session: Any = boto3.session.Session()
    clients = {
        name: session.client(
            name,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        for name in ("lambda", "s3")
    }
    memory = {
        function["FunctionName"]: int(function["MemorySize"])
        for page in clients["lambda"].get_paginator("list_functions").paginate()
        for function in page["Functions"]
    }
    events = [json.loads(line) for line in (state_dir / "events.jsonl").read_text().splitlines() if line]
    recordings = [e for e in events if e.get("detail-type") == "Recording.Ended"]
    if not recordings:
        raise SystemExit("no Recording.Ended in the journal: run `svideo demo` (or a broadcast) first")
    recorded_s = sum(e["detail"]["recording"]["duration_ms"] for e in recordings) / 1000
    stored = sum(
        item["Size"]
        for bucket in clients["s3"].list_buckets()["Buckets"]
        if not bucket["Name"].startswith("cdk-")
        for page in clients["s3"].get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"])
        for item in page.get("Contents", [])
    )
    functions: dict[str, dict[str, float]] = {}
    for metric in metrics:
        if metric["namespace"] != "AWS/Lambda" or metric["name"] not in ("Invocations", "Duration"):
            continue
        name = metric["dimensions"].get("FunctionName", "")
        entry = functions.setdefault(name, {"invocations": 0.0, "gb_seconds": 0.0})
        if metric["name"] == "Invocations":
            entry["invocations"] += metric["sum"]
        else:
            entry["gb_seconds"] += metric["sum"] / 1000 * memory.get(name, 128) / 1024
    postprocess = {n: f for n, f in functions.items() if POSTPROCESS_FUNCTION in n and "Postprocess" in n}
    offloaded = {n for n in functions if n.startswith(OFFLOADED_TO_AWS_SERVICES)}
    images = sum(m["sum"] for m in metrics if m["namespace"] == "svideo" and m["name"] == "ImagesGenerated")
    videos = len(recordings)
    return {
        "videos": videos,
        "recorded_seconds": recorded_s,
        "postprocess_lambda_gb_seconds_per_recorded_second": sum(
            f["gb_seconds"] for f in postprocess.values()
        )
        / recorded_s,
        "postprocess_lambda_seconds_per_recorded_second": sum(
            f["gb_seconds"] / (memory.get(n, 128) / 1024) for n, f in postprocess.items()
        )
        / recorded_s,
        "other_lambda_gb_seconds_per_video": sum(
            f["gb_seconds"] for n, f in functions.items() if n not in postprocess and n not in offloaded
        )
        / videos,
        "lambda_invocations_per_video": sum(f["invocations"] for f in functions.values()) / videos,
        "custom_events_per_video": sum(1 for e in events if str(e.get("source", "")).startswith("svideo."))
        / videos,
        "pipe_events_per_video": sum(1 for e in events if e.get("source") == OUTBOX_SOURCE) / videos,
        "stored_bytes_per_recorded_second": stored / recorded_s,
        "images_per_video": images / videos,
    }


def model(
    usage: Mapping[str, Any], prices: Mapping[str, float], video_minutes: float
) -> dict[str, dict[str, float]]:
    """USD per broadcast hour (the platform's per-second costs over 3,600 recorded seconds) and per 1,000
    videos of `video_minutes` each (the same, plus what every video costs whatever its length)."""
    p = prices
    hour = SECONDS_PER_HOUR
    lambda_pp = (
        usage["postprocess_lambda_gb_seconds_per_recorded_second"] * hour * p["lambda_arm64_gb_second"]
    )
    busy_hours = usage["postprocess_lambda_seconds_per_recorded_second"] * hour / 3600
    fargate_pp = max(busy_hours, p["fargate_minimum_seconds"] / 3600) * (
        1 * p["fargate_arm64_vcpu_hour"]
        + 2 * p["fargate_arm64_gb_hour"]
        + 80 * p["fargate_ephemeral_gb_hour_over_20"]
    )
    words = SPOKEN_WORDS_PER_MINUTE * 60
    bedrock_text = MODEL_CALLS_PER_VIDEO * (
        (words * TOKENS_PER_WORD + PROMPT_TOKENS) / 1000 * p["bedrock_input_1k_tokens"]
        + OUTPUT_TOKENS / 1000 * p["bedrock_output_1k_tokens"]
    )
    per_hour = {
        "IVS channel input (standard)": p["ivs_standard_input_hour"],
        "post-processing on Lambda": lambda_pp,
        "post-processing on Fargate (same work)": fargate_pp,
        "Transcribe": 60 * p["transcribe_minute"],
        "Bedrock (titles, characters)": bedrock_text,
        "S3 storage, first month": usage["stored_bytes_per_recorded_second"]
        * hour
        / 1e9
        * p["s3_standard_gb_month"],
    }
    # Per video, whatever its length: the other functions, events, the outbox Pipe, queues, avatars.
    per_video = {
        "other Lambda functions": usage["other_lambda_gb_seconds_per_video"] * p["lambda_arm64_gb_second"]
        + usage["lambda_invocations_per_video"] * p["lambda_request"],
        "EventBridge custom events": usage["custom_events_per_video"]
        * p["eventbridge_custom_event_million"]
        / 1e6,
        "EventBridge Pipes": usage["pipe_events_per_video"] * p["pipes_request_million"] / 1e6,
        "SQS": usage["custom_events_per_video"] * SQS_REQUESTS_PER_MESSAGE * p["sqs_request_million"] / 1e6,
        "Bedrock images (avatars)": usage["images_per_video"] * p["bedrock_image"],
    }
    scale = video_minutes / 60
    per_thousand = {name: 1000 * value * scale for name, value in per_hour.items()}
    per_thousand.update({name: 1000 * value for name, value in per_video.items()})
    per_hour_total = {**per_hour, **{name: value / scale for name, value in per_video.items()}}
    return {"per broadcast hour": per_hour_total, f"per 1,000 videos of {video_minutes:g} min": per_thousand}


def render(result: Mapping[str, Mapping[str, float]]) -> str:
    """A Markdown table; the totals count Lambda post-processing (Fargate is the alternative line)."""
    columns = list(result)
    names = list(next(iter(result.values())))
    lines = [f"| USD | {' | '.join(columns)} |", f"|---|{'---:|' * len(columns)}"]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{result[c][name]:,.4f}" for c in columns) + " |")
    totals = [sum(v for n, v in result[c].items() if "Fargate" not in n) for c in columns]
    lines.append(
        "| **total (Lambda post-processing)** | " + " | ".join(f"**{t:,.2f}**" for t in totals) + " |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    measuring = commands.add_parser("measure", help="usage of a local run (JSON on stdout)")
    measuring.add_argument("--state-dir", default=str(REPO_ROOT / ".svideo"))
    modelling = commands.add_parser("model", help="costs from a usage file and a prices file")
    modelling.add_argument("usage")
    modelling.add_argument("--prices", default=str(PRICES))
    modelling.add_argument("--video-minutes", type=float, default=30.0, help="mean video length (default 30)")
    args = parser.parse_args(argv)
    if args.command == "measure":
        print(json.dumps(measure(Path(args.state_dir)), indent=2))
        return 0
    usage = json.loads(Path(args.usage).read_text())
    prices = {k: v for k, v in json.loads(Path(args.prices).read_text()).items() if not k.startswith("_")}
    print(render(model(usage, prices, args.video_minutes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
