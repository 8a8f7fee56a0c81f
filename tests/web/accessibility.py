"""axe-core in the page (web/node_modules, pinned by the lockfile): no serious or critical violation."""

from __future__ import annotations

from typing import Any

BLOCKING = ("serious", "critical")


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
    blocking = violations(page)
    assert not blocking, f"{where}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['targets']}" for v in blocking
    )
