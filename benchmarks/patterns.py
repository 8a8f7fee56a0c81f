"""Pattern-engine throughput on svideo-shaped rules: PatternIndex vs each rule in turn vs moto.

Run: ``python benchmarks/patterns.py`` (bounded: each measurement stops after a time budget).
Prints rule-evaluations per second (events x rules / elapsed) and events per second.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.patterns import PatternIndex, compile_pattern

BUDGET_SECONDS = 2.5
SERVICES = ["channel", "video", "postprocess", "plugins"]
DETAIL_TYPES = {
    "channel": ["Channel.Created", "Broadcast.Started", "Broadcast.Ended", "Recording.Ended"],
    "video": ["Video.StatusChanged", "Video.Published", "Title.Selected"],
    "postprocess": ["Video.Processed", "Video.ProcessingFailed"],
    "plugins": ["Plugin.Invoked", "Lifecycle.Completed"],
}
HOOKS = ["preValidate", "postValidate", "preMetadata", "postMetadata"]


def build_rules(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Realistic subscriptions: plugin rules on detail.plugin, numeric routing, prefix, anything-but."""
    rules: list[dict[str, Any]] = [
        {
            "source": ["svideo.channel"],
            "detail-type": ["Recording.Ended"],
            "detail": {"recording": {"duration_ms": [{"numeric": ["<=", 900000]}]}},
        },
        {
            "source": ["svideo.channel"],
            "detail-type": ["Recording.Ended"],
            "detail": {"recording": {"duration_ms": [{"numeric": [">", 900000]}]}},
        },
    ]
    while len(rules) < count:
        kind = rng.random()
        position = len(rules)
        if kind < 0.6:
            rules.append(
                {
                    "source": ["svideo.plugins"],
                    "detail-type": ["Plugin.Invoked"],
                    "detail": {"plugin": [f"plugin-{position}"], "hook": [rng.choice(HOOKS)]},
                }
            )
        elif kind < 0.75:
            rules.append(
                {
                    "source": [{"prefix": f"svideo.plugin.p{position}"}],
                    "detail-type": ["Plugin.Completed"],
                    "detail": {"status": ["succeeded", "failed"]},
                }
            )
        elif kind < 0.9:
            service = rng.choice(SERVICES)
            rules.append(
                {
                    "source": [f"svideo.{service}"],
                    "detail-type": [rng.choice(DETAIL_TYPES[service])],
                    "detail": {"video_id": [{"anything-but": f"v-{position}"}]},
                }
            )
        else:
            rules.append(
                {
                    "source": ["svideo.video"],
                    "detail-type": ["Video.StatusChanged"],
                    "detail": {
                        "to": [rng.choice(["published", "invalid", "failed"])],
                        "meta": {"version": [{"numeric": [">=", 1]}]},
                    },
                }
            )
    return rules[:count]


def build_events(count: int, rules: int, rng: random.Random) -> list[dict[str, Any]]:
    events = []
    for position in range(count):
        roll = rng.random()
        meta = {"version": 1, "correlation_id": f"c-{position}", "occurred_at": "2026-11-22T10:00:00Z"}
        if roll < 0.3:
            detail: dict[str, Any] = {
                "video_id": f"v-{position}",
                "recording": {
                    "bucket": "b",
                    "prefix": "p",
                    "duration_ms": rng.choice([60000, 2_000_000]),
                    "renditions": 3,
                },
            }
            source, detail_type = "svideo.channel", "Recording.Ended"
        elif roll < 0.6:
            detail = {
                "video_id": f"v-{position}",
                "hook": rng.choice(HOOKS),
                "plugin": f"plugin-{rng.randrange(max(rules, 1))}",
                "invocation": {"id": "i", "token": "t"},
            }
            source, detail_type = "svideo.plugins", "Plugin.Invoked"
        elif roll < 0.8:
            detail = {"video_id": f"v-{position}", "status": "succeeded", "invocation_id": "i", "token": "t"}
            source, detail_type = f"svideo.plugin.p{rng.randrange(max(rules, 1))}", "Plugin.Completed"
        else:
            detail = {"video_id": f"v-{position}", "from": "enriching", "to": "published"}
            source, detail_type = "svideo.video", "Video.StatusChanged"
        events.append(
            {
                "version": "0",
                "id": f"e-{position}",
                "source": source,
                "detail-type": detail_type,
                "account": "123456789012",
                "time": "2026-11-22T10:00:00Z",
                "region": "us-east-1",
                "resources": [],
                "detail": {**detail, "meta": meta},
            }
        )
    return events


def measure(run_one: Callable[[dict[str, Any]], int], events: list[dict[str, Any]]) -> tuple[float, int]:
    """Events per second within the time budget, and total matches (to check engines agree)."""
    done = 0
    total = 0
    started = time.perf_counter()
    while True:
        for event in events:
            total += run_one(event)
            done += 1
            if done % 50 == 0 and time.perf_counter() - started > BUDGET_SECONDS:
                return done / (time.perf_counter() - started), total
        if time.perf_counter() - started > BUDGET_SECONDS:
            return done / (time.perf_counter() - started), total


def main() -> None:
    from moto.events.models import EventPattern

    rng = random.Random(7)
    print(f"{'rules':>6} | {'engine':<22} | {'events/s':>10} | {'rule-evals/s':>13} | {'vs moto':>8}")
    print("-" * 72)
    for count in (1, 100, 1000):
        rules = build_rules(count, rng)
        events = build_events(400, count, rng)
        index = PatternIndex()
        for position, rule in enumerate(rules):
            index.add(f"r{position}", rule)
        compiled = [compile_pattern(rule) for rule in rules]
        moto_patterns = [EventPattern.load(json.dumps(rule)) for rule in rules]

        def via_index(event: dict[str, Any], index: PatternIndex = index) -> int:
            return len(index.match(event))

        def each_compiled(event: dict[str, Any], patterns: list[Any] = compiled) -> int:
            return sum(1 for pattern in patterns if pattern.matches(event))

        def each_moto(event: dict[str, Any], patterns: list[Any] = moto_patterns) -> int:
            return sum(1 for pattern in patterns if pattern.matches_event(event))

        engines = (
            ("PatternIndex", via_index),
            ("compiled, each in turn", each_compiled),
            ("moto, each in turn", each_moto),
        )
        results = {name: measure(run, events) for name, run in engines}
        moto_rate = results["moto, each in turn"][0]
        for name, (rate, _) in results.items():
            ratio = rate / moto_rate
            print(f"{count:>6} | {name:<22} | {rate:>10,.0f} | {rate * count:>13,.0f} | {ratio:>7.1f}x")
        print("-" * 72)


if __name__ == "__main__":
    main()
