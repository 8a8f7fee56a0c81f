"""`svideo users ...`: an operator grants and revokes roles (Cognito groups) by email.

On the local cloud by default; with `--aws`, in the stage's user pool on AWS with the usual AWS credentials
(the pool id comes from the stage's SSM parameter either way). Users of the stage's allowed email domains
become broadcasters when they confirm their sign-up; this is for everyone else.
"""

from __future__ import annotations

import argparse
from typing import Any

from cli import control
from cli.control import CliError, state_dir
from shared.auth import GROUPS


def _idp_and_pool(args: argparse.Namespace) -> tuple[Any, str]:
    from botocore.exceptions import ClientError

    from infra.naming import IdentityParameter
    from local.platform_client import read_parameter

    if args.aws:
        import boto3

        ssm, idp = boto3.client("ssm"), boto3.client("cognito-idp")
    else:
        directory = state_dir(args.state_dir)
        ssm, idp = control.client(directory, "ssm"), control.client(directory, "cognito-idp")
    try:
        return idp, read_parameter(ssm, args.stage, IdentityParameter.USER_POOL_ID)
    except ClientError as exc:
        raise CliError(f"no user pool for stage {args.stage!r} (is IdentityStack deployed?): {exc}") from exc


def cmd_users(args: argparse.Namespace) -> int:
    from botocore.exceptions import ClientError

    idp, pool_id = _idp_and_pool(args)
    try:
        if args.users_command == "list":
            return _list(idp, pool_id)
        if args.users_command == "grant":
            idp.admin_add_user_to_group(UserPoolId=pool_id, Username=args.email, GroupName=args.group)
            print(f"{args.email} is now in {args.group} (the role applies from their next sign-in)")
        else:
            idp.admin_remove_user_from_group(UserPoolId=pool_id, Username=args.email, GroupName=args.group)
            print(f"{args.email} is no longer in {args.group} (from their next sign-in)")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "UserNotFoundException":
            raise CliError(f"no user {args.email!r} in the {args.stage} user pool") from exc
        raise CliError(str(exc)) from exc
    return 0


def _list(idp: Any, pool_id: str) -> int:
    for group in GROUPS:
        users = idp.list_users_in_group(UserPoolId=pool_id, GroupName=group).get("Users", [])
        emails = sorted(
            next((a["Value"] for a in user.get("Attributes", []) if a["Name"] == "email"), user["Username"])
            for user in users
        )
        print(f"{group}: {', '.join(emails) if emails else '(nobody)'}")
    return 0


def add_commands(commands: Any) -> None:
    users = commands.add_parser("users", help="grant or revoke roles (broadcaster, plugin-developer, admin)")
    actions = users.add_subparsers(dest="users_command", required=True)
    for name, help_text in (("grant", "add a user to a role"), ("revoke", "remove a user from a role")):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("group", choices=GROUPS, help="the role")
        action.add_argument("email", help="the user's email address")
    actions.add_parser("list", help="who holds each role")
    for action in actions.choices.values():
        action.add_argument("--stage", default="local", help="the stage whose user pool to change")
        action.add_argument("--aws", action="store_true", help="the stage on AWS (default: the local cloud)")
        action.set_defaults(handler=cmd_users)
