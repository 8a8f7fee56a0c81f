"""Cognito's Lambda triggers on the local cloud: moto keeps the user pools but runs no trigger.

ConfirmSignUp and AdminConfirmSignUp are answered here: the user is confirmed in moto's pool, then the pool's
`LambdaConfig.PostConfirmation` function runs with the event Cognito sends, as on AWS (a trigger that fails
makes the call fail with UnexpectedLambdaException; the user stays confirmed, as there). Every other
operation goes to moto. Locally no email is sent and any confirmation code is accepted (moto's behaviour).
The web app calls Cognito unsigned, so requests are recognised by their `X-Amz-Target` too.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest, json_response

log = logging.getLogger("svideo.local.cognito")

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CONFIRMATIONS = {"ConfirmSignUp", "AdminConfirmSignUp"}


class CognitoTriggers:
    signing_names = ("cognito-idp", "*")

    def __init__(self, cloud: Any) -> None:
        self._cloud = cloud

    def start(self) -> None:
        """Nothing runs in the background."""

    def stop(self) -> None:
        """Nothing to stop."""

    def handle(self, request: AwsRequest) -> Response | None:
        target = request.headers.get("x-amz-target", "")
        if not target.startswith(TARGET_PREFIX) or request.target not in CONFIRMATIONS:
            return None
        body = request.json()
        pool, user = self._confirm(request.target, body, request.region)
        function = (pool.extended_config.get("LambdaConfig") or {}).get("PostConfirmation")
        if function:
            self._run_trigger(function, pool, user, request.region, body)
        return json_response({})

    def _confirm(self, operation: str | None, body: dict[str, Any], region: str) -> tuple[Any, Any]:
        from moto.cognitoidp.models import cognitoidp_backends
        from moto.core.exceptions import JsonRESTError

        backend = cognitoidp_backends[self._cloud.account_id][region]
        username = str(body.get("Username", ""))
        try:
            if operation == "ConfirmSignUp":
                client_id = str(body.get("ClientId", ""))
                pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
                if pool is None:
                    raise AwsError("ResourceNotFoundException", f"no app client {client_id!r}")
                backend.confirm_sign_up(client_id, username)
            else:
                pool = backend.describe_user_pool(str(body.get("UserPoolId", "")))
                backend.admin_confirm_sign_up(pool.id, username)
            return pool, backend.admin_get_user(pool.id, username)
        except JsonRESTError as error:
            raise AwsError(error.error_type, error.message, error.code) from error

    def _run_trigger(self, function: str, pool: Any, user: Any, region: str, body: dict[str, Any]) -> None:
        attributes = {item["Name"]: item["Value"] for item in user.attributes}
        attributes.setdefault("sub", user.id)
        # The code proved the address: Cognito marks an auto-verified email as verified at confirmation.
        if "email" in attributes:
            attributes["email_verified"] = "true"
        event = {
            "version": "1",
            "region": region,
            "userPoolId": pool.id,
            "userName": user.username,
            "callerContext": {"awsSdkVersion": "local", "clientId": body.get("ClientId", "")},
            "triggerSource": "PostConfirmation_ConfirmSignUp",
            "request": {"userAttributes": attributes, "clientMetadata": body.get("ClientMetadata") or {}},
            "response": {},
        }
        lambdas = self._cloud.lambdas
        if lambdas is None:
            raise AwsError("UnexpectedLambdaException", "the local cloud runs no Lambda functions")
        result = lambdas.invoke(function, json.dumps(event).encode())
        if result.function_error:
            log.warning("post-confirmation trigger %s failed: %s", function, result.payload[:500])
            raise AwsError(
                "UnexpectedLambdaException", "PostConfirmation failed with error: the trigger raised", 400
            )
