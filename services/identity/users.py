"""Roles of users for admins: find users by email, grant and revoke groups. Pure: takes a directory port."""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, Field

from shared.auth import Principal, require
from shared.errors import ConflictError, NotFoundError

Role = Literal["broadcaster", "plugin-developer", "admin"]
EmailPrefix = Annotated[str, Field(min_length=1, max_length=254, pattern=r"^[^\s\"\\]+$")]


class UserView(BaseModel):
    username: str
    email: str | None = None
    status: str
    groups: list[Role] = Field(default_factory=list)


class UserPage(BaseModel):
    items: list[UserView]


class UnknownUserError(Exception):
    """The directory has no such user."""


class Directory(Protocol):
    def find_by_email(self, prefix: str, *, limit: int) -> list[UserView]: ...

    def get(self, username: str) -> UserView: ...

    def add_to_group(self, username: str, group: Role) -> None: ...

    def remove_from_group(self, username: str, group: Role) -> None: ...


def find_users(principal: Principal, prefix: str, *, directory: Directory, limit: int = 20) -> UserPage:
    require(principal, "admin")
    return UserPage(items=directory.find_by_email(prefix.strip().lower(), limit=limit))


def set_role(
    principal: Principal, username: str, role: Role, *, granted: bool, directory: Directory
) -> UserView:
    """Grant or revoke; either is idempotent. An admin cannot revoke their own admin role (no lock-out)."""
    caller = require(principal, "admin")
    if not granted and role == "admin" and username in (caller.username, caller.sub):
        raise ConflictError("you cannot revoke your own admin role; ask another admin")
    try:
        if granted:
            directory.add_to_group(username, role)
        else:
            directory.remove_from_group(username, role)
        return directory.get(username)
    except UnknownUserError:
        raise NotFoundError(f"no user {username!r}") from None
