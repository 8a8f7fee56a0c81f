"""PutEvents → handler latency (p50, p99) and sustained events per second on the local cloud, 50 rules.

    source scripts/env.sh && python benchmarks/local_cloud.py [--latency-events N] [--throughput-events N]

One rule of the 50 matches the measured events and targets a Lambda handler that appends the event's id and
the time it ran to a file; the other 49 carry content filters the engine must evaluate and reject.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

HANDLER = """
import json, os, time
def handler(event, context):
    with open(os.environ["OUT_FILE"], "a") as out:
        out.write(json.dumps({"id": event["detail"]["id"], "t": time.time()}) + "\\n")
"""
RULES = 50


def _template(out_file: Path) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "bench"}},
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                        }
                    ]
                }
            },
        },
        "Handler": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Timeout": 10,
                "Code": {"ZipFile": HANDLER},
                "Environment": {"Variables": {"OUT_FILE": str(out_file)}},
            },
        },
    }
    for index in range(RULES):
        matching = index == 0
        pattern = (
            {"source": ["bench.measured"], "detail": {"size": [{"numeric": [">=", 0]}]}}
            if matching
            else {"source": [f"bench.other.{index}"], "detail": {"size": [{"numeric": ["<", index]}]}}
        )
        resources[f"Rule{index}"] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventBusName": {"Ref": "Bus"},
                "EventPattern": pattern,
                "Targets": [{"Id": "handler", "Arn": {"Fn::GetAtt": ["Handler", "Arn"]}}],
            },
        }
    # EventBridge may invoke the handler only for the matching rule, as the function's policy says on AWS.
    resources["Permission"] = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": {"Ref": "Handler"},
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": ["Rule0", "Arn"]},
        },
    }
    return {"Resources": resources}


def _entries(count: int) -> list[dict[str, Any]]:
    return [
        {
            "EventBusName": "bench",
            "Source": "bench.measured",
            "DetailType": "Bench",
            "Detail": json.dumps({"id": uuid.uuid4().hex, "size": 1}),
        }
        for _ in range(count)
    ]


def _handled(out_file: Path) -> dict[str, float]:
    if not out_file.is_file():
        return {}
    lines = [json.loads(line) for line in out_file.read_text().splitlines() if line.strip()]
    return {line["id"]: line["t"] for line in lines}


def _wait_for(out_file: Path, ids: set[str], timeout: float) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        handled = _handled(out_file)
        if ids <= handled.keys():
            return handled
        time.sleep(0.05)
    return _handled(out_file)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-events", type=int, default=200)
    parser.add_argument("--throughput-events", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    from local.deploy import deploy_template
    from local.wiring import build_cloud

    with tempfile.TemporaryDirectory() as directory:
        out_file = Path(directory) / "handled.jsonl"
        cloud = build_cloud(Path(directory) / "state", port=0, parts=("targets", "lambda", "eventbridge"))
        with cloud:
            deploy_template(cloud, "Bench", _template(out_file))
            events = cloud.client("events")
            warm = _entries(1)
            events.put_events(Entries=warm)  # the cold start is not what this measures
            _wait_for(out_file, {json.loads(warm[0]["Detail"])["id"]}, 30)

            sent: dict[str, float] = {}
            for entry in _entries(args.latency_events):
                sent[json.loads(entry["Detail"])["id"]] = time.time()
                events.put_events(Entries=[entry])
                time.sleep(0.01)
            handled = _wait_for(out_file, set(sent), 60)
            latencies = [(handled[key] - sent[key]) * 1000 for key in sent if key in handled]

            batches = [_entries(10) for _ in range(args.throughput_events // 10)]
            ids = {json.loads(entry["Detail"])["id"] for batch in batches for entry in batch}
            lock = threading.Lock()

            def send() -> None:
                client = cloud.client("events")
                while True:
                    with lock:
                        if not batches:
                            return
                        batch = batches.pop()
                    client.put_events(Entries=batch)

            started = time.time()
            threads = [threading.Thread(target=send) for _ in range(args.threads)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            put_seconds = time.time() - started
            handled = _wait_for(out_file, ids, 120)
            done = [handled[key] for key in ids if key in handled]
            total_seconds = (max(done) - started) if done else float("nan")

    print(f"rules on the bus: {RULES} (1 matching, {RULES - 1} evaluated and rejected)")
    print(
        f"latency PutEvents -> handler, {len(latencies)}/{args.latency_events} events: "
        f"p50 {statistics.median(latencies):.1f} ms, p99 {_percentile(latencies, 0.99):.1f} ms, "
        f"max {max(latencies):.1f} ms"
    )
    print(
        f"throughput: {len(ids)} events put in {put_seconds:.2f}s ({len(ids) / put_seconds:.0f} put/s); "
        f"{len(done)} handled in {total_seconds:.2f}s ({len(done) / total_seconds:.0f} events/s end to end)"
    )


if __name__ == "__main__":
    main()
