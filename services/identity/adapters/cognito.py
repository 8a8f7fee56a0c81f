"""`Directory` on boto3's Cognito user pools client (admin API of one pool)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from services.identity.users import Role, UnknownUserError, UserView
from shared.auth import GROUPS


def _email(user: dict[str, Any]) -> str | None:
    attributes = user.get("Attributes") or user.get("UserAttributes") or []
    return next((a["Value"] for a in attributes if a["Name"] == "email"), None)


class CognitoDirectory:
    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def _groups(self, username: str) -> list[Role]:
        groups = self._client.admin_list_groups_for_user(UserPoolId=self._pool, Username=username)["Groups"]
        names = {group["GroupName"] for group in groups}
        return [group for group in GROUPS if group in names]

    def find_by_email(self, prefix: str, *, limit: int) -> list[UserView]:
        users = self._client.list_users(UserPoolId=self._pool, Filter=f'email ^= "{prefix}"', Limit=limit)[
            "Users"
        ]
        return [
            UserView(
                username=user["Username"],
                email=_email(user),
                status=user.get("UserStatus", ""),
                groups=self._groups(user["Username"]),
            )
            for user in users
        ]

    def get(self, username: str) -> UserView:
        try:
            user = self._client.admin_get_user(UserPoolId=self._pool, Username=username)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
                raise UnknownUserError(username) from error
            raise
        return UserView(
            username=user["Username"],
            email=_email(user),
            status=user.get("UserStatus", ""),
            groups=self._groups(user["Username"]),
        )

    def _call(self, operation: str, username: str, group: Role) -> None:
        try:
            getattr(self._client, operation)(UserPoolId=self._pool, Username=username, GroupName=group)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
                raise UnknownUserError(username) from error
            raise

    def add_to_group(self, username: str, group: Role) -> None:
        self._call("admin_add_user_to_group", username, group)

    def remove_from_group(self, username: str, group: Role) -> None:
        self._call("admin_remove_user_from_group", username, group)
