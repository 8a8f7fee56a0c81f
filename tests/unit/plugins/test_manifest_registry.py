"""Manifests refuse what they cannot honour, naming the field; the registry checks what spans plugins."""

from __future__ import annotations

from typing import Any

import pytest

from services.plugins.manifest import ManifestError, parse_manifest
from services.plugins.registry import InvalidRegistration, Registry
from shared.auth import ForbiddenError, Principal
from shared.errors import ConflictError, NotFoundError
from tests.unit.plugins.fakes import manifest


class MemoryRegistryStore:
    def __init__(self) -> None:
        self.items: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        return self.items.get(name)

    def all(self) -> list[Any]:
        return list(self.items.values())

    def create(self, plugin: Any) -> bool:
        if plugin.name in self.items:
            return False
        self.items[plugin.name] = plugin
        return True

    def put(self, plugin: Any) -> None:
        self.items[plugin.name] = plugin

    def delete(self, name: str) -> None:
        self.items.pop(name, None)


DEV = Principal(sub="dev-1", groups=frozenset({"plugin-developer"}))
OTHER_DEV = Principal(sub="dev-2", groups=frozenset({"plugin-developer"}))
ADMIN = Principal(sub="admin-1", groups=frozenset({"admin"}))
VIEWER = Principal(sub="viewer-1")


def problems(**overrides: Any) -> dict[str, str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest({**manifest("bad").model_dump(), **overrides})
    return dict(caught.value.problems)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"name": "Bad Name"}, "/name", "pattern"),
        ({"version": "1.0"}, "/version", "pattern"),
        ({"timeout_seconds": 0}, "/timeout_seconds", "greater than or equal"),
        ({"timeout_seconds": 901}, "/timeout_seconds", "less than or equal"),
        ({"hook": "onTuesday"}, "/hook", "preValidate"),
        ({"output_schema": {"type": "object", "oneOf": []}}, "/output_schema", "/oneOf"),
        ({"output_schema": {"type": "object", "patternProperties": {}}}, "/output_schema", "propertyNames"),
        ({"output_schema": {"type": "object", "minLength": "3"}}, "/output_schema", "/minLength"),
        ({"output_schema": {"type": "object", "$ref": "https://example.com/s"}}, "/output_schema", "inside"),
        ({"output_schema": {"type": "string"}}, "/output_schema", '"type": "object"'),
        ({"projection": {"status": "/value"}}, "/projection", "reserved"),
        ({"projection": {"tags": "/missing"}}, "/projection/tags", "not described by output_schema"),
        ({"after": ["bad"]}, "/after/0", "names the plugin itself"),
        ({"delivery": "carrier-pigeon"}, "/delivery", "queue"),
        ({"surprise": 1}, "/surprise", "Extra inputs"),
    ],
)
def test_given_a_broken_manifest_when_parsed_then_the_error_names_the_field(
    overrides: dict[str, Any], field: str, words: str
) -> None:
    found = problems(**overrides)
    key = next(k for k in found if k == field or k.startswith(field + "/"))
    assert words in found[key]


def test_given_a_manifest_with_many_problems_when_parsed_then_each_is_reported_at_once_by_pointer() -> None:
    found = problems(version="1.0", timeout_seconds=0, after=["bad"], projection={"tags": "/gone"})
    assert set(found) == {"/version", "/timeout_seconds", "/after/0", "/projection/tags"}, found


def test_given_unknown_after_names_and_a_taken_field_when_registering_then_each_has_its_pointer() -> None:
    registry = Registry(MemoryRegistryStore())
    registry.register(DEV, manifest("a", projection={"summary": "/value"}))
    with pytest.raises(InvalidRegistration) as refused:
        registry.register(DEV, manifest("b", after=["ghost", "phantom"], projection={"summary": "/value"}))
    assert dict(refused.value.problems) == {
        "/after/0": "no registered plugin 'ghost'", "/after/1": "no registered plugin 'phantom'",
        "/projection/summary": "already projected by plugin 'a'",
    }  # fmt: skip


class Undeployed:
    def missing(self, manifest: Any) -> list[str]:
        return [f"not deployed: no rule dev-svideo-plugin-{manifest.name}-invoked"]


def test_given_a_plugin_not_deployed_when_registering_then_it_is_refused_naming_what_is_missing() -> None:
    registry = Registry(MemoryRegistryStore(), deployments=Undeployed())
    with pytest.raises(InvalidRegistration) as refused:
        registry.register(DEV, manifest("mine"))
    assert refused.value.problems == [("/delivery", "not deployed: no rule dev-svideo-plugin-mine-invoked")]


def test_given_a_validation_hook_without_valid_in_its_schema_then_it_is_refused() -> None:
    found = problems(hook="preValidate", projection={})
    assert any('"valid" as a required boolean' in message for message in found.values())


def test_given_a_developer_when_registering_then_the_plugin_is_theirs_and_others_cannot_see_it() -> None:
    registry = Registry(MemoryRegistryStore())
    registry.register(DEV, manifest("mine"))
    assert [p.name for p in registry.list_plugins(DEV)] == ["mine"]
    assert registry.list_plugins(OTHER_DEV) == []
    with pytest.raises(NotFoundError):
        registry.set_enabled(OTHER_DEV, "mine", False)
    assert registry.set_enabled(ADMIN, "mine", False).enabled is False
    assert registry.enabled_manifests() == []


def test_given_a_viewer_when_registering_then_it_is_not_allowed() -> None:
    with pytest.raises(ForbiddenError):
        Registry(MemoryRegistryStore()).register(VIEWER, manifest("mine"))


def test_given_a_taken_name_when_registering_then_conflict() -> None:
    registry = Registry(MemoryRegistryStore())
    registry.register(DEV, manifest("mine"))
    with pytest.raises(ConflictError):
        registry.register(OTHER_DEV, manifest("mine"))


def test_given_after_an_unknown_plugin_when_registering_then_it_is_refused() -> None:
    with pytest.raises(InvalidRegistration, match="no registered plugin 'ghost'"):
        Registry(MemoryRegistryStore()).register(DEV, manifest("mine", after=["ghost"]))


def test_given_an_after_cycle_when_updating_then_it_is_refused() -> None:
    registry = Registry(MemoryRegistryStore())
    registry.register(DEV, manifest("a"))
    registry.register(DEV, manifest("b", after=["a"]))
    with pytest.raises(InvalidRegistration, match="cycle"):
        registry.update(DEV, "a", manifest("a", after=["b"]))


def test_given_a_projected_field_taken_when_registering_then_it_is_refused() -> None:
    registry = Registry(MemoryRegistryStore())
    registry.register(DEV, manifest("a", projection={"summary": "/value"}))
    with pytest.raises(InvalidRegistration, match=r"/projection/summary"):
        registry.register(DEV, manifest("b", projection={"summary": "/value"}))


def test_given_a_plugin_others_run_after_when_deregistering_then_conflict() -> None:
    registry = Registry(MemoryRegistryStore())
    registry.register(DEV, manifest("a"))
    registry.register(DEV, manifest("b", after=["a"]))
    with pytest.raises(ConflictError):
        registry.deregister(DEV, "a")
    registry.deregister(DEV, "b")
    registry.deregister(DEV, "a")
    assert registry.list_plugins(ADMIN) == []


def test_given_a_manifest_file_in_yaml_then_it_loads(tmp_path: Any) -> None:
    from services.plugins.manifest import load_manifest

    path = tmp_path / "plugin.yaml"
    path.write_text(
        "name: shout\nversion: 0.1.0\ndescription: d\nauthor: a\nhook: postMetadata\n"
        "output_schema: {type: object, properties: {text: {type: string}}}\nprojection: {shout: /text}\n"
    )
    assert load_manifest(path).projection == {"shout": "/text"}
    assert parse_manifest(load_manifest(path).model_dump()).name == "shout"


@pytest.mark.parametrize("field", ["description", "author"])
def test_given_a_bidi_control_in_a_manifest_text_then_it_is_refused_naming_the_field(field: str) -> None:
    found = problems(**{field: "by \u2067someone\u2069"})
    assert "bidirectional control characters (U+2067, U+2069)" in found["/" + field]
