"""The AWS CLI test's CDK app: the real CoreStack (bus, schema registry with every svideo schema) and
LiveStack (functions that log), synthesized like `infra/app.py` does, and StatesStack: state machines built
with `aws_stepfunctions` constructs for the local cloud's Step Functions.

Run by `svideo up --app "python tests/e2e/apps/tools_app.py"` (CDK_OUTDIR and context from the caller).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.stacks.core_stack import CoreStack
from infra.stacks.live_stack import LiveStack

STATES_SOURCE = "svideo.states-test"
DOUBLER = "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n"


class StatesStack(cdk.Stack):
    """`Asker`: a Lambda task, then a `.waitForTaskToken` PutEvents whose event a rule puts in a queue, a
    `States.Timeout` caught; `Ungranted`: the same function invoked without the role being allowed to."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        bus = events.EventBus(self, "Bus")
        inbox = sqs.Queue(self, "Invoked")
        events.Rule(
            self,
            "ToInbox",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[STATES_SOURCE]),
            targets=[targets.SqsQueue(inbox)],
        )
        doubler = lambda_.Function(
            self,
            "Doubler",
            runtime=lambda_.Runtime.PYTHON_3_13,
            code=lambda_.Code.from_inline(DOUBLER),
            handler="index.handler",
        )
        double = tasks.LambdaInvoke(
            self, "Double", lambda_function=doubler, payload_response_only=True, result_path="$.lambda"
        )
        ask = tasks.EventBridgePutEvents(
            self,
            "Ask",
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            entries=[
                tasks.EventBridgePutEventsEntry(
                    event_bus=bus,
                    source=STATES_SOURCE,
                    detail_type="Answer.Requested",
                    detail=sfn.TaskInput.from_object(
                        {
                            "token": sfn.JsonPath.task_token,
                            "doubled": sfn.JsonPath.number_at("$.lambda.doubled"),
                        }
                    ),
                )
            ],
            task_timeout=sfn.Timeout.at("$.timeout_s"),
            result_path="$.answer",
        )
        ask.add_catch(sfn.Pass(self, "Unanswered"), errors=["States.Timeout"], result_path="$.error")
        asker_logs = logs.LogGroup(self, "AskerLogs")
        asker = sfn.StateMachine(
            self,
            "Asker",
            definition_body=sfn.DefinitionBody.from_chainable(double.next(ask)),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=asker_logs, level=sfn.LogLevel.ALL),
        )
        ungranted = sfn.StateMachine(
            self,
            "Ungranted",
            definition_body=sfn.DefinitionBody.from_chainable(
                sfn.CustomState(
                    self,
                    "InvokeWithoutGrant",
                    state_json={
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": doubler.function_arn, "Payload": {"n": 1}},
                    },
                )
            ),
        )
        cdk.CfnOutput(self, "AskerArn", value=asker.state_machine_arn)
        cdk.CfnOutput(self, "AskerLogGroup", value=asker_logs.log_group_name)
        cdk.CfnOutput(self, "UngrantedArn", value=ungranted.state_machine_arn)
        cdk.CfnOutput(self, "UngrantedRole", value=ungranted.role.role_name)
        cdk.CfnOutput(self, "InboxUrl", value=inbox.queue_url)


app = cdk.App()
core = CoreStack(app, "CoreStack", stage="dev")
LiveStack(app, "LiveStack", stage="dev").add_dependency(core)
StatesStack(app, "StatesStack")
app.synth()
