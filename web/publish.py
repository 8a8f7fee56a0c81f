"""Publishes the web app to AWS: the app's files and a config.json into the WebStack bucket, then a CloudFront
invalidation. Run after `cdk deploy` (it reads the stacks' SSM parameters and the WebStack outputs):

    python web/publish.py --stage dev [--stack WebStack-dev] [--dry-run]

Credentials and region come from the usual AWS environment (profile, SSO, role).
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.naming import WEB_CONFIG, parameter_name, stack_name
from local.web import SERVED, WEB_ROOT

# Names are not content-hashed, so browsers revalidate every file (ETag → 304): a publish is seen at once.
CACHE_CONTROL = "no-cache"
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Target:
    bucket: str
    distribution_id: str


def web_config(ssm: Any, stage: str, region: str) -> dict[str, str]:
    """config.json from the SSM parameters the video, live and identity stacks publish; all must exist."""
    names = {key: parameter_name(stage, suffix) for key, suffix in WEB_CONFIG.items()}
    found = ssm.get_parameters(Names=list(names.values()))
    values = {parameter["Name"]: parameter["Value"] for parameter in found["Parameters"]}
    missing = sorted(name for name in names.values() if name not in values)
    if missing:
        raise SystemExit(f"missing SSM parameters (deploy those stacks first): {', '.join(missing)}")
    config = {key: values[name] for key, name in names.items()}
    config["apiUrl"] = config["apiUrl"].rstrip("/")
    config["region"] = region
    config["cognitoEndpoint"] = f"https://cognito-idp.{region}.amazonaws.com/"
    return config


def app_files(root: Path = WEB_ROOT) -> Iterator[tuple[str, Path]]:
    """(key, path) of every file the app is made of: the same set the local cloud serves."""
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_file() and SERVED.match(key):
            yield key, path


def target_of(cloudformation: Any, stack: str) -> Target:
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    by_key = {output["OutputKey"]: output["OutputValue"] for output in outputs}
    return Target(bucket=by_key["BucketName"], distribution_id=by_key["DistributionId"])


def publish(
    s3: Any, cloudfront: Any, target: Target, config: dict[str, str], root: Path = WEB_ROOT
) -> list[str]:
    """Uploads the files and config.json, then invalidates everything; returns the keys written."""
    written = []
    for key, path in app_files(root):
        content_type = (
            CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        s3.put_object(
            Bucket=target.bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type,
            CacheControl=CACHE_CONTROL,
        )
        written.append(key)
    s3.put_object(
        Bucket=target.bucket,
        Key="config.json",
        Body=json.dumps(config, indent=2).encode(),
        ContentType="application/json",
        CacheControl="no-store",
    )
    written.append("config.json")
    cloudfront.create_invalidation(
        DistributionId=target.distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"publish-{time.time_ns()}",
        },
    )
    return written


def main(argv: list[str] | None = None) -> None:
    import boto3

    parser = argparse.ArgumentParser(
        description="Upload the web app to the WebStack bucket and invalidate CloudFront"
    )
    parser.add_argument("--stage", default="dev")
    parser.add_argument(
        "--stack", help="the web stack's name (outputs BucketName, DistributionId); default WebStack-<stage>"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print config.json and the files, upload nothing"
    )
    args = parser.parse_args(argv)
    session = boto3.Session()
    config = web_config(session.client("ssm"), args.stage, session.region_name or "us-east-1")
    if args.dry_run:
        print(json.dumps(config, indent=2))
        print("\n".join(key for key, _ in app_files()))
        return
    if not (WEB_ROOT / "vendor" / "hls.mjs").is_file():
        raise SystemExit("web/vendor/hls.mjs is missing: run web/vendor.sh first")
    target = target_of(session.client("cloudformation"), args.stack or stack_name("WebStack", args.stage))
    written = publish(session.client("s3"), session.client("cloudfront"), target, config)
    print(f"published {len(written)} files to s3://{target.bucket}; invalidated {target.distribution_id}")


if __name__ == "__main__":
    main()
