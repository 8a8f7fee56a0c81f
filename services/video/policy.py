"""Who may do what with videos: one table, read by every route through `authorize`."""

from __future__ import annotations

from enum import StrEnum

from shared.auth import ForbiddenError, NotSignedInError, Principal
from shared.errors import NotFoundError


class Action(StrEnum):
    LIST_PUBLISHED = "videos:list-published"
    READ = "video:read"
    READ_PRIVATE = "video:read-private"  # the owner id, reasons, title candidates: the full record
    LIST_ALL_STATUSES = "channel:list-all-videos"
    HISTORY = "video:history"
    DELETE = "video:delete"
    ME = "me:read"
    LIST_MINE = "me:list-videos"


class Grant(StrEnum):
    ANYONE = "anyone"
    PUBLISHED = "anyone, if the video is published"
    SIGNED_IN = "any signed-in user"
    OWNER = "the owner"
    ADMIN = "the admin group"


POLICY: dict[Action, frozenset[Grant]] = {
    Action.LIST_PUBLISHED: frozenset({Grant.ANYONE}),
    Action.READ: frozenset({Grant.PUBLISHED, Grant.OWNER, Grant.ADMIN}),
    Action.READ_PRIVATE: frozenset({Grant.OWNER, Grant.ADMIN}),
    Action.LIST_ALL_STATUSES: frozenset({Grant.OWNER, Grant.ADMIN}),
    Action.HISTORY: frozenset({Grant.OWNER, Grant.ADMIN}),
    Action.DELETE: frozenset({Grant.OWNER, Grant.ADMIN}),
    Action.ME: frozenset({Grant.SIGNED_IN}),
    Action.LIST_MINE: frozenset({Grant.SIGNED_IN}),  # a caller only ever lists the videos they own
}


def allowed(
    principal: Principal, action: Action, *, owner_id: str | None = None, published: bool = False
) -> bool:
    grants = POLICY[action]
    return (
        Grant.ANYONE in grants
        or (Grant.PUBLISHED in grants and published)
        or (Grant.SIGNED_IN in grants and principal.signed_in)
        or (Grant.OWNER in grants and principal.owns(owner_id))
        or (Grant.ADMIN in grants and principal.is_admin)
    )


def needs_sign_in(principal: Principal, action: Action) -> None:
    """401 before anything is looked up, for actions no anonymous caller can ever be granted."""
    if not principal.signed_in and not (POLICY[action] & {Grant.ANYONE, Grant.PUBLISHED}):
        raise NotSignedInError("sign in to call this route")


def authorize(
    principal: Principal, action: Action, *, owner_id: str | None = None, published: bool = False
) -> None:
    """Allow, or fail with the status the caller may see: 401 (not signed in), 404 (may not know it exists),
    403 (may see it, may not do this)."""
    if allowed(principal, action, owner_id=owner_id, published=published):
        return
    needs_sign_in(principal, action)
    if not allowed(principal, Action.READ, owner_id=owner_id, published=published):
        raise NotFoundError("no such video")
    raise ForbiddenError(f"only {' or '.join(sorted(g.value for g in POLICY[action]))} may do this")
