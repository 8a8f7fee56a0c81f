"""The plugin registry: who may register what, and the checks that span plugins (`after`, projections)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from services.plugins.budget import ENRICHING_DEADLINE, over_budget
from services.plugins.manifest import PluginManifest, pointer
from shared.auth import ForbiddenError, Principal
from shared.errors import ConflictError, NotFoundError

Role = Literal["admin", "plugin-developer"]


class RegisteredPlugin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    manifest: PluginManifest
    owner_id: str
    enabled: bool = True
    registered_at: datetime
    updated_at: datetime
    # Videos in a row on which the plugin timed out; at TIMEOUT_STRIKES it is disabled, with the reason here.
    timeouts_in_a_row: int = 0
    disabled_reason: str | None = None

    @property
    def name(self) -> str:
        return self.manifest.name


DEVELOPER_GROUPS: tuple[str, ...] = ("plugin-developer", "admin")
TIMEOUT_STRIKES = 3  # a plugin that answers no video in time three times running holds every video back


def after_outcome(plugin: RegisteredPlugin, video_id: str, outcome: str, now: datetime) -> RegisteredPlugin:
    """The plugin's record once one more video's invocation ended with `outcome`: a timeout counts a strike,
    any answer in time clears them, and the strike that reaches TIMEOUT_STRIKES disables the plugin."""
    if outcome != "timed_out":
        return plugin if plugin.timeouts_in_a_row == 0 else plugin.model_copy(update={"timeouts_in_a_row": 0})
    strikes = plugin.timeouts_in_a_row + 1
    update: dict[str, object] = {"timeouts_in_a_row": strikes}
    if strikes >= TIMEOUT_STRIKES and plugin.enabled:
        update |= {
            "enabled": False,
            "updated_at": now,
            "disabled_reason": f"disabled automatically at {now.isoformat()}: timed out on {strikes} videos "
            f"in a row (the last {video_id}); fix it, then enable it again",
        }
    return plugin.model_copy(update=update)


class InvalidRegistration(Exception):
    """The manifest is valid alone but not next to the registered plugins (`after`, projections, the time
    budget) or not deployed: 422, with one (JSON pointer, message) per problem."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


class Deployments(Protocol):
    def missing(self, manifest: PluginManifest) -> list[str]:
        """What of the plugin's delivery is not deployed (empty when its invocations reach a target)."""
        ...


class RegistryStore(Protocol):
    def get(self, name: str) -> RegisteredPlugin | None: ...

    def all(self) -> list[RegisteredPlugin]: ...

    def create(self, plugin: RegisteredPlugin) -> bool:
        """False when the name is taken."""
        ...

    def put(self, plugin: RegisteredPlugin) -> None: ...

    def delete(self, name: str) -> None: ...


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle in `name → after` edges, as the names along it, or None."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> list[str] | None:
        if name in visiting:
            return [*visiting[visiting.index(name) :], name]
        if name in done:
            return None
        visiting.append(name)
        for dependency in edges.get(name, []):
            if cycle := visit(dependency):
                return cycle
        visiting.pop()
        done.add(name)
        return None

    for name in sorted(edges):
        if cycle := visit(name):
            return cycle
    return None


def problems_against(manifest: PluginManifest, others: Iterable[PluginManifest]) -> list[tuple[str, str]]:
    """Every `after` and projection problem next to the registered plugins, each with its pointer."""
    by_name = {other.name: other for other in others if other.name != manifest.name}
    problems: list[tuple[str, str]] = []
    for index, dependency in enumerate(manifest.after):
        other = by_name.get(dependency)
        if other is None:
            problems.append((pointer("after", index), f"no registered plugin {dependency!r}"))
        elif other.hook != manifest.hook:
            problems.append(
                (pointer("after", index), f"{dependency!r} runs in {other.hook}, not {manifest.hook}")
            )
    edges = {name: list(other.after) for name, other in by_name.items()}
    edges[manifest.name] = list(manifest.after)
    if cycle := find_cycle(edges):
        problems.append((pointer("after"), f"cycle {' → '.join(cycle)}"))
    for field in manifest.projection:
        for other in by_name.values():
            if field in other.projection:
                problems.append((pointer("projection", field), f"already projected by plugin {other.name!r}"))
    return problems


class Registry:
    """Register, update, read, enable/disable and deregister plugins: developers their own, admins all."""

    def __init__(
        self,
        store: RegistryStore,
        enriching_deadline: timedelta = ENRICHING_DEADLINE,
        deployments: Deployments | None = None,
    ) -> None:
        """`deployments` checks that a registered plugin's delivery is deployed (the API always gives it)."""
        self.store = store
        self.enriching_deadline = enriching_deadline
        self.deployments = deployments

    def _budget_problems(self, manifest: PluginManifest) -> list[tuple[str, str]]:
        """A plugin that would let the enabled plugins' timeouts outlast the enriching deadline."""
        enabled = [p.manifest for p in self.store.all() if p.enabled and p.name != manifest.name]
        problem = over_budget([*enabled, manifest], self.enriching_deadline)
        return [(pointer("timeout_seconds"), problem.removeprefix("timeout_seconds: "))] if problem else []

    def _check_budget(self, manifest: PluginManifest) -> None:
        if problems := self._budget_problems(manifest):
            raise InvalidRegistration(problems)

    def _check(self, manifest: PluginManifest, *, budget: bool = True) -> None:
        """Every problem of the manifest next to the registry and the deployed stacks, all at once."""
        problems = problems_against(manifest, (p.manifest for p in self.store.all()))
        if budget:
            problems += self._budget_problems(manifest)
        if self.deployments is not None:
            problems += [(pointer("delivery"), missing) for missing in self.deployments.missing(manifest)]
        if problems:
            raise InvalidRegistration(problems)

    def register(self, caller: Principal, manifest: PluginManifest) -> RegisteredPlugin:
        owner_id = self._developer(caller)
        self._check(manifest)
        now = datetime.now(UTC)
        plugin = RegisteredPlugin(manifest=manifest, owner_id=owner_id, registered_at=now, updated_at=now)
        if not self.store.create(plugin):
            raise ConflictError(
                f"a plugin named {manifest.name!r} is registered already (update it with PUT)"
            )
        return plugin

    def update(self, caller: Principal, name: str, manifest: PluginManifest) -> RegisteredPlugin:
        if manifest.name != name:
            raise InvalidRegistration(
                [(pointer("name"), f"the manifest is {manifest.name!r}, the path says {name!r}")]
            )
        plugin = self._owned(caller, name)
        self._check(manifest, budget=plugin.enabled)
        updated = plugin.model_copy(update={"manifest": manifest, "updated_at": datetime.now(UTC)})
        self.store.put(updated)
        return updated

    def list_plugins(self, caller: Principal) -> list[RegisteredPlugin]:
        self._developer(caller)
        plugins = self.store.all()
        if not caller.is_admin:
            plugins = [p for p in plugins if caller.owns(p.owner_id)]
        return sorted(plugins, key=lambda p: p.name)

    def get(self, caller: Principal, name: str) -> RegisteredPlugin:
        return self._owned(caller, name)

    def set_enabled(self, caller: Principal, name: str, enabled: bool) -> RegisteredPlugin:
        plugin = self._owned(caller, name)
        if enabled and not plugin.enabled:
            self._check_budget(plugin.manifest)
        change = {"enabled": enabled, "updated_at": datetime.now(UTC), "timeouts_in_a_row": 0}
        updated = plugin.model_copy(update={**change, "disabled_reason": None})
        self.store.put(updated)
        return updated

    def deregister(self, caller: Principal, name: str) -> None:
        self._owned(caller, name)
        waiting = [p.name for p in self.store.all() if name in p.manifest.after]
        if waiting:
            raise ConflictError(f"plugins {waiting} run `after` {name!r}: change them first")
        self.store.delete(name)

    def enabled_manifests(self) -> list[PluginManifest]:
        return [p.manifest for p in self.store.all() if p.enabled]

    def _developer(self, caller: Principal) -> str:
        """The caller's user id, once they are known to be a plugin developer or an admin."""
        if caller.sub is None or not caller.in_any(*DEVELOPER_GROUPS):
            raise ForbiddenError("needs the plugin-developer or admin role")
        return caller.sub

    def _owned(self, caller: Principal, name: str) -> RegisteredPlugin:
        self._developer(caller)
        plugin = self.store.get(name)
        # Someone else's plugin answers 404 like a missing one: names of others' plugins do not leak.
        if plugin is None or not (caller.is_admin or caller.owns(plugin.owner_id)):
            raise NotFoundError(f"no plugin {name!r}")
        return plugin
