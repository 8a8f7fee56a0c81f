"""Cognito's post-confirmation trigger: a user of an allowed email domain joins the broadcaster group.

Cognito calls this after ConfirmSignUp (and AdminConfirmSignUp) and expects the event back. Adding a user to a
group they are already in succeeds, so a retried invocation is harmless.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PostConfirmationTriggerEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.identity.config import post_confirmation_env
from services.identity.domain import groups_at_confirmation
from shared.observability import logger

SIGN_UP = "PostConfirmation_ConfirmSignUp"


@cache
def _cognito() -> Any:
    return boto3.client("cognito-idp")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    trigger = PostConfirmationTriggerEvent(event)
    if trigger.trigger_source != SIGN_UP:  # a confirmed password reset grants nothing
        return event
    attributes = trigger.request.user_attributes
    groups = groups_at_confirmation(
        attributes.get("email", ""),
        email_verified=attributes.get("email_verified") == "true",
        broadcaster_domains=post_confirmation_env().broadcaster_domains,
    )
    for group in groups:
        _cognito().admin_add_user_to_group(
            UserPoolId=trigger.user_pool_id, Username=trigger.user_name, GroupName=group
        )
    logger.info("sign-up confirmed", extra={"groups": groups})  # no email: the log holds no personal data
    return event
