"""The plugins' time budget: how long the lifecycle can take with a set of plugins, and the deadline it must
fit in (the video's enriching deadline), so no registration can make every video fail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from services.plugins.manifest import PluginManifest
from shared.deadlines import ENRICHING_S
from shared.events.base import HOOK_ORDER

# Scheduler latency and the lifecycle's own transitions, on top of the plugins' timeouts.
LIFECYCLE_SLACK = timedelta(seconds=60)
ENRICHING_DEADLINE = timedelta(seconds=ENRICHING_S)


@dataclass(frozen=True)
class Chain:
    hook: str
    plugins: tuple[str, ...]
    seconds: int


def longest_chains(manifests: Iterable[PluginManifest]) -> list[Chain]:
    """Per hook, the chain (along `after`) whose timeouts add up to the most: how long the hook can take,
    since a hook's plugins run in parallel and each starts once the plugins it names have an outcome."""
    by_name = {m.name: m for m in manifests}
    best: dict[str, tuple[int, tuple[str, ...]]] = {}

    def cost(name: str, seen: frozenset[str]) -> tuple[int, tuple[str, ...]]:
        if name in best:
            return best[name]
        manifest = by_name[name]
        before = [
            cost(d, seen | {name})
            for d in manifest.after
            if d in by_name and by_name[d].hook == manifest.hook and d not in seen
        ]
        longest = max(before, default=(0, ()))
        best[name] = (longest[0] + manifest.timeout_seconds, (*longest[1], name))
        return best[name]

    chains = []
    for hook in HOOK_ORDER:
        costs = [cost(m.name, frozenset()) for m in by_name.values() if m.hook == hook]
        if costs:
            seconds, plugins = max(costs)
            chains.append(Chain(hook, plugins, seconds))
    return chains


def lifecycle_budget(manifests: Iterable[PluginManifest]) -> timedelta:
    """The longest the lifecycle can run: every hook's longest chain, one hook after the other, plus slack."""
    return timedelta(seconds=sum(c.seconds for c in longest_chains(manifests))) + LIFECYCLE_SLACK


def over_budget(manifests: Iterable[PluginManifest], deadline: timedelta = ENRICHING_DEADLINE) -> str | None:
    """Why these plugins cannot all run within `deadline`, or None when they can."""
    chains = longest_chains(manifests)
    budget = timedelta(seconds=sum(c.seconds for c in chains)) + LIFECYCLE_SLACK
    if budget <= deadline:
        return None
    listed = "; ".join(f"{c.hook}: {' → '.join(c.plugins)} {c.seconds} s" for c in chains)
    slack = int(LIFECYCLE_SLACK.total_seconds())
    return (
        f"timeout_seconds: the longest chains of timeouts ({listed}) add up to "
        f"{int(budget.total_seconds()) - slack} s, which with {slack} s for the lifecycle passes the videos' "
        f"enriching deadline of {int(deadline.total_seconds())} s: lower timeout_seconds or shorten `after`"
    )
