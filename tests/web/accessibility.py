"""axe-core in the page (web/node_modules, pinned by the lockfile): no serious or critical violation, at phone
width and at desktop width."""

from __future__ import annotations

from typing import Any

BLOCKING = ("serious", "critical")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now (axe injected by an init script)."""
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
          const result = await axe.run(document, { resultTypes: ["violations"] });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
          }));
        }"""
    )
    return [violation for violation in found if violation["impact"] in BLOCKING]


def assert_accessible(page: Any, where: str) -> None:
    """The page at phone width, then at desktop width; the page's own size is restored afterwards."""
    original = page.viewport_size or DESKTOP
    problems = []
    try:
        for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.evaluate(
                "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
            )
            problems += [f"{where} at {name} width: {_describe(v)}" for v in violations(page)]
    finally:
        page.set_viewport_size(original)
    assert not problems, "; ".join(problems)


def _describe(violation: dict[str, Any]) -> str:
    return f"{violation['id']} ({violation['impact']}): {violation['help']} at {violation['targets']}"
