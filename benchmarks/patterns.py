"""Pattern-engine throughput on svideo-shaped rules: PatternIndex vs each rule in turn vs moto.

Run: ``python benchmarks/patterns.py`` (bounded: each measurement stops after a time budget).
Prints events per second and the pattern evaluations each engine actually performed per event (the
index evaluates only its candidates; the others every rule), after checking that every engine returns
the same matches on every event. Rule sets: svideo-shaped (1 to 10,000 rules) and numeric-only.
Last, pattern compile speed against moto's, measured in the same run.
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


def build_numeric_rules(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Only numeric conditions: nothing an index can key on, so every rule is a candidate."""
    rules: list[dict[str, Any]] = []
    for _ in range(count):
        low = rng.randrange(0, 3_000_000)
        rules.append(
            {
                "detail": {
                    "recording": {
                        "duration_ms": [{"numeric": [">=", low, "<", low + rng.randrange(1, 600_000)]}]
                    }
                }
            }
        )
    return rules


def measure(run_one: Callable[[dict[str, Any]], int], events: list[dict[str, Any]]) -> tuple[float, int]:
    """Events per second within the time budget, and how many events were run."""
    done = 0
    started = time.perf_counter()
    while True:
        for event in events:
            run_one(event)
            done += 1
            if done % 50 == 0 and time.perf_counter() - started > BUDGET_SECONDS:
                return done / (time.perf_counter() - started), done
        if time.perf_counter() - started > BUDGET_SECONDS:
            return done / (time.perf_counter() - started), done


def check_agreement(
    engines: dict[str, Callable[[dict[str, Any]], list[str]]], events: list[dict[str, Any]]
) -> int:
    """Every engine's matches on every event are the same list; returns the total number of matches."""
    total = 0
    for event in events:
        answers = {name: engine(event) for name, engine in engines.items()}
        first = next(iter(answers.values()))
        if any(answer != first for answer in answers.values()):
            raise AssertionError(f"engines disagree on event {event['id']}: {answers}")
        total += len(first)
    return total


def run_set(label: str, rules: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    from moto.events.models import EventPattern

    index = PatternIndex()
    keys = [f"r{position}" for position in range(len(rules))]
    for key, rule in zip(keys, rules, strict=True):
        index.add(key, rule)
    compiled = list(zip(keys, (compile_pattern(rule) for rule in rules), strict=True))
    moto_patterns = list(zip(keys, (EventPattern.load(json.dumps(rule)) for rule in rules), strict=True))

    def via_index(event: dict[str, Any]) -> list[str]:
        return index.match(event)

    def each_compiled(event: dict[str, Any]) -> list[str]:
        return [key for key, pattern in compiled if pattern.matches(event)]

    def each_moto(event: dict[str, Any]) -> list[str]:
        return [key for key, pattern in moto_patterns if pattern.matches_event(event)]

    engines = {
        "PatternIndex": via_index,
        "compiled, each in turn": each_compiled,
        "moto, each in turn": each_moto,
    }
    matched = check_agreement(engines, events)
    # What each engine evaluates per event: the index only its candidates, the others every rule.
    evaluations = {
        "PatternIndex": sum(len(index.candidates(event)) for event in events) / len(events),
        "compiled, each in turn": float(len(rules)),
        "moto, each in turn": float(len(rules)),
    }
    rates = {name: measure(engine, events)[0] for name, engine in engines.items()}
    moto_rate = rates["moto, each in turn"]
    for name, rate in rates.items():
        per_event = evaluations[name]
        print(
            f"{label:>16} | {name:<22} | {rate:>10,.0f} | {per_event:>10,.1f} | {rate * per_event:>13,.0f}"
            f" | {rate / moto_rate:>7.1f}x"
        )
    print(f"{'':>16} | all engines agree on {len(events)} events ({matched} matches)")
    print("-" * 96)


def compile_speed(rules: list[dict[str, Any]]) -> None:
    """Patterns compiled per second, ours (cache cleared: every pattern compiled for real) against moto's."""
    from moto.events.models import EventPattern

    from shared.patterns.compiler import _compile_text

    texts = [json.dumps(rule) for rule in rules]

    def ours() -> None:
        _compile_text.cache_clear()
        for text in texts:
            compile_pattern(text)

    def motos() -> None:
        for text in texts:
            EventPattern.load(text)

    rates = {}
    for name, run in (("svideo compile_pattern", ours), ("moto EventPattern.load", motos)):
        done = 0
        started = time.perf_counter()
        while time.perf_counter() - started < BUDGET_SECONDS:
            run()
            done += len(texts)
        rates[name] = done / (time.perf_counter() - started)
    moto_rate = rates["moto EventPattern.load"]
    print(f"{'compile':>16} | {'engine':<22} | {'patterns/s':>10} | {'vs moto':>8}")
    for name, rate in rates.items():
        print(f"{'compile':>16} | {name:<22} | {rate:>10,.0f} | {rate / moto_rate:>7.1f}x")


def main() -> None:
    rng = random.Random(7)
    print(
        f"{'rules':>16} | {'engine':<22} | {'events/s':>10} | {'evals/event':>10} | {'evaluations/s':>13}"
        f" | {'vs moto':>8}"
    )
    print("-" * 96)
    for count in (1, 100, 1000, 10_000):
        rules = build_rules(count, rng)
        events = build_events(200 if count >= 10_000 else 400, count, rng)
        run_set(f"{count:,} svideo", rules, events)
    numeric = build_numeric_rules(1000, rng)
    run_set("1,000 numeric", numeric, build_events(200, 1000, rng))
    compile_speed(build_rules(1000, random.Random(11)) + build_numeric_rules(200, random.Random(12)))


if __name__ == "__main__":
    main()
