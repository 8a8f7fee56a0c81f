"""The IAM end-to-end test's CDK app: a function that writes one object to a bucket.

Its role gets the bucket's `grant_put` only with `-c grant_s3=true`, so the same template is deployed once
without the permission and once with it.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

WRITER = """
import os
import boto3

def handler(event, context):
    boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key="hello.txt", Body=b"hello")
    return {"written": "hello.txt"}
"""


class IamStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        bucket = s3.Bucket(self, "Bucket", enforce_ssl=True, removal_policy=cdk.RemovalPolicy.DESTROY)
        writer = lambda_.Function(
            self,
            "Writer",
            runtime=lambda_.Runtime.PYTHON_3_12,
            code=lambda_.Code.from_inline(WRITER),
            handler="index.handler",
            environment={"BUCKET": bucket.bucket_name},
            timeout=cdk.Duration.seconds(10),
        )
        if self.node.try_get_context("grant_s3") == "true":
            bucket.grant_put(writer)
        cdk.CfnOutput(self, "BucketName", value=bucket.bucket_name)
        cdk.CfnOutput(self, "FunctionName", value=writer.function_name)
        cdk.CfnOutput(self, "RoleName", value=writer.role.role_name if writer.role else "")


app = cdk.App()
IamStack(app, "IamStack")
app.synth()
