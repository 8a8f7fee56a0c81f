"""The local cloud at rest: the CPU a freshly deployed cloud spends doing nothing, and how fast it wakes.

    source scripts/env.sh && python -m benchmarks.idle_cloud [--idle-seconds 60]

Deploys every stack into a fresh local cloud (as `svideo up` does), waits for the deploy's own work to
settle, then measures, in the same run:
- idle CPU: the cloud's process and its function workers over `--idle-seconds`, as % of one core;
- wake-up: with the cloud idle, the time from a PutEvents (a `Channel.Created`, which a rule delivers to the
  catalog's queue, whose mapping invokes the catalog) to the catalog's record of the channel, against the
  same path timed while the pollers are busy (right after another event): an idle poller must answer as fast.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "tests" / "events"
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _tree_cpu(root: int) -> float:
    """CPU seconds of `root` and its live children (function workers), from /proc."""
    total = _cpu_seconds(root)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if parent == root:
                    total += _cpu_seconds(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return total


def _channel_event(channel_id: str) -> dict[str, Any]:
    raw = json.loads((EVENTS / "svideo.channel/Channel.Created.json").read_text())
    detail = raw["detail"] | {"channel_id": channel_id, "ivs_channel_name": channel_id}
    detail["meta"]["correlation_id"] = str(uuid.uuid4())
    return {"Source": raw["source"], "DetailType": raw["detail-type"], "Detail": json.dumps(detail)}


def _delivery_s(cloud: Any, bus: str, table: str) -> float:
    """Seconds from PutEvents of a new channel to the catalog's item for it."""
    channel_id = f"ch-bench-{uuid.uuid4().hex[:8]}"
    events, dynamodb = cloud.client("events"), cloud.client("dynamodb")
    started = time.perf_counter()
    entry = _channel_event(channel_id) | {"EventBusName": bus}
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    key = {"PK": {"S": f"CHANNEL#{channel_id}"}, "SK": {"S": "CHANNEL"}}
    while "Item" not in dynamodb.get_item(TableName=table, Key=key):
        if time.perf_counter() - started > 120:
            raise TimeoutError(f"channel {channel_id} not in the catalog within 120 s")
        time.sleep(0.01)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--settle-seconds", type=float, default=20)
    parser.add_argument("--deliveries", type=int, default=5)
    args = parser.parse_args()

    from benchmarks.clouds import deployed_cloud
    from infra.naming import bus_name

    table, bus = "dev-svideo-videos", bus_name("dev")
    with deployed_cloud() as (cloud, stacks):
        _delivery_s(cloud, bus, table)  # the catalog's worker is warm from here on
        time.sleep(args.settle_seconds)
        started, cpu = time.monotonic(), _tree_cpu(os.getpid())
        time.sleep(args.idle_seconds)
        idle = (_tree_cpu(os.getpid()) - cpu) / (time.monotonic() - started)
        busy, rested = [], []
        for _ in range(args.deliveries):
            busy.append(_delivery_s(cloud, bus, table))  # right after the previous one: pollers awake
            time.sleep(args.settle_seconds / 2)  # long enough for every poller to be waiting
            rested.append(_delivery_s(cloud, bus, table))
            busy.append(_delivery_s(cloud, bus, table))

    idle_s, settle_s = args.idle_seconds, args.settle_seconds
    print(f"{stacks} stacks deployed; idle for {idle_s:.0f} s after {settle_s:.0f} s")
    print(f"idle CPU (cloud and its workers): {idle * 100:.2f} % of one core (target: under 1 %)")
    busy_p50, rested_p50 = statistics.median(busy), statistics.median(rested)
    print(f"PutEvents -> rule -> SQS -> mapping -> catalog: p50 {busy_p50 * 1000:.0f} ms right after other "
          f"work, {rested_p50 * 1000:.0f} ms from rest ({len(rested)} each); "
          f"ratio {rested_p50 / busy_p50:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
