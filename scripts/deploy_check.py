"""`make deploy-check`: what `cdk deploy` will need, checked before it runs, and what is missing said plainly.

    python scripts/deploy_check.py [--stage prod] [-c postprocess.image_uri=<uri>]

Checks AWS credentials (STS GetCallerIdentity) and a region, the CDK bootstrap of that account and region
(the SSM parameter `cdk bootstrap` writes), and Docker with arm64 builds, which only PostprocessStack's
Fargate image needs (none when `-c postprocess.image_uri=` names a prebuilt image). Exit status 1 when
something is missing.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BOOTSTRAP_QUALIFIER = "hnb659fds"  # the CDK's default, which cdk.json does not change
BOOTSTRAP_PARAMETER = f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version"
MIN_BOOTSTRAP_VERSION = 6  # what the synthesized templates' CheckBootstrapVersion rule requires
IMAGE_URI_CONTEXT = "postprocess.image_uri"  # infra/constructs/images.py
ARM64_BINFMT = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def credentials() -> tuple[Check, Check, str | None, str | None]:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    region = os.environ.get("AWS_REGION") or boto3.Session().region_name  # the CDK CLI reads AWS_REGION too
    session = boto3.Session(region_name=region)
    region_check = Check(
        "region",
        bool(region),
        region or "no region: set AWS_REGION (or a profile's region) to the one to deploy to",
    )
    try:
        identity = session.client("sts", region_name=region or "us-east-1").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        return (
            Check(
                "credentials",
                False,
                f"none usable ({type(exc).__name__}: {exc}): "
                "set AWS_PROFILE, run `aws sso login`, or export keys",
            ),
            region_check,
            None,
            region,
        )
    return (
        Check("credentials", True, f"{identity['Arn']} (account {identity['Account']})"),
        region_check,
        identity["Account"],
        region,
    )


def bootstrap(account: str | None, region: str | None) -> Check:
    if account is None or region is None:
        return Check("bootstrap", False, "not checked: needs credentials and a region first")
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    command = f"`cdk bootstrap aws://{account}/{region}`"
    try:
        value = boto3.client("ssm", region_name=region).get_parameter(Name=BOOTSTRAP_PARAMETER)["Parameter"][
            "Value"
        ]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ParameterNotFound":
            return Check("bootstrap", False, f"{account}/{region} is not bootstrapped: run {command}")
        return Check("bootstrap", False, f"cannot read {BOOTSTRAP_PARAMETER}: {exc}")
    except BotoCoreError as exc:
        return Check("bootstrap", False, f"cannot read {BOOTSTRAP_PARAMETER}: {exc}")
    if int(value) < MIN_BOOTSTRAP_VERSION:
        return Check("bootstrap", False, f"version {value} < {MIN_BOOTSTRAP_VERSION}: run {command} again")
    return Check("bootstrap", True, f"version {value} in {account}/{region}")


def docker(image_uri: str | None) -> Check:
    if image_uri:
        return Check("docker", True, f"not needed: PostprocessStack uses the prebuilt image {image_uri}")
    advice = (
        f"PostprocessStack builds its Fargate image (linux/arm64) with Docker; install Docker, or pass "
        f"`-c {IMAGE_URI_CONTEXT}=<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`, "
        "or deploy the other stacks only"
    )
    if shutil.which("docker") is None:
        return Check("docker", False, f"not found. {advice}")
    info = subprocess.run(["docker", "info", "--format", "{{.Architecture}}"], capture_output=True, text=True)
    if info.returncode != 0:
        return Check(
            "docker", False, f"installed but the daemon does not answer ({info.stderr.strip()}). {advice}"
        )
    native = info.stdout.strip() in ("aarch64", "arm64") or platform.machine() in ("aarch64", "arm64")
    if not native and not ARM64_BINFMT.exists():
        return Check(
            "docker",
            False,
            "running, but cannot build linux/arm64 images on this amd64 host: register QEMU "
            "(`docker run --privileged --rm tonistiigi/binfmt --install arm64`) or pass "
            f"`-c {IMAGE_URI_CONTEXT}=<uri>`",
        )
    return Check("docker", True, "running, builds linux/arm64" + ("" if native else " through QEMU"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    context = dict(item.partition("=")[::2] for item in args.context)
    image_uri = context.get(IMAGE_URI_CONTEXT) or os.environ.get("SVIDEO_POSTPROCESS_IMAGE_URI")
    credential_check, region_check, account, region = credentials()
    checks = [credential_check, region_check, bootstrap(account, region), docker(image_uri)]
    for check in checks:
        print(f"{'ok ' if check.ok else 'MISSING'} {check.name:<12} {check.detail}")
    missing = [check.name for check in checks if not check.ok]
    if missing:
        print(f"deploy-check: missing {', '.join(missing)} (stage {args.stage})")
        return 1
    print(
        f"deploy-check: ready; `cdk deploy --all -c stage={args.stage}` "
        f"(stacks are named <Stack>-{args.stage})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
