"""What IAM evaluation costs per call: the same DynamoDB GetItem and S3 PutObject through the local cloud's
gateway, signed as the administrator (no evaluation) and as a role session (identity and bucket policies
evaluated), in the same run.

    source scripts/env.sh && python benchmarks/iam.py [--calls N]

It also times the evaluator alone (`IamEnforcer.decide` on a compiled role), the part that runs per call.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from local.cloud import LocalCloud
from local.iam.requests import Check

ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "arn:aws:dynamodb:*:*:table/bench"},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bench-bucket/videos/*"},
        {
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": "*",
            "Condition": {"StringEquals": {"events:source": "svideo.video"}},
        },
    ],
}
BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::bench-bucket/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ],
}


def _median_ms(call: Any, calls: int) -> float:
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state, LocalCloud(Path(state), port=0, iam_mode="enforce") as cloud:
        iam = cloud.client("iam")
        trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole"}]}  # fmt: skip
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName="bench", PolicyName="bench", PolicyDocument=json.dumps(ROLE_POLICY))
        admin_db, admin_s3 = cloud.client("dynamodb"), cloud.client("s3")
        admin_db.create_table(
            TableName="bench",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        )
        admin_s3.create_bucket(Bucket="bench-bucket")
        admin_s3.put_bucket_policy(Bucket="bench-bucket", Policy=json.dumps(BUCKET_POLICY))
        role_db = cloud.client_as(role, "bench", "dynamodb")
        role_s3 = cloud.client_as(role, "bench", "s3")
        key = {"pk": {"S": "x"}}
        for client in (admin_db, role_db):  # warm connections and the compiled policies
            client.get_item(TableName="bench", Key=key)

        rows = []
        for name, admin, as_role in (
            ("dynamodb GetItem", lambda: admin_db.get_item(TableName="bench", Key=key),
             lambda: role_db.get_item(TableName="bench", Key=key)),
            ("s3 PutObject (+ bucket policy)",
             lambda: admin_s3.put_object(Bucket="bench-bucket", Key="videos/a", Body=b"x"),
             lambda: role_s3.put_object(Bucket="bench-bucket", Key="videos/a", Body=b"x")),
        ):  # fmt: skip
            baseline = _median_ms(admin, args.calls)
            evaluated = _median_ms(as_role, args.calls)
            rows.append((name, baseline, evaluated))

        principal = cloud.iam.session(role, "bench").principal
        check = Check(
            "events:PutEvents", cloud.arn("events", "event-bus/x"), {"events:source": "svideo.video"}
        )
        assert cloud.iam.decide(principal, check).allowed
        started = time.perf_counter()
        decisions = 20_000
        for _ in range(decisions):
            cloud.iam.decide(principal, check)
        per_decision_us = (time.perf_counter() - started) / decisions * 1e6

    print(f"{'call':34} {'admin (no IAM) ms':>18} {'role (IAM) ms':>14} {'ratio':>6}")
    for name, baseline, evaluated in rows:
        print(f"{name:34} {baseline:18.2f} {evaluated:14.2f} {evaluated / baseline:6.2f}")
    print(f"one decision (compiled role policy, condition): {per_decision_us:.1f} µs")


if __name__ == "__main__":
    main()
