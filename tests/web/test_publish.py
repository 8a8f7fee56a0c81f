"""web/publish.py against moto: config.json from the stacks' SSM parameters, the app's files (nothing else)
uploaded with their content types, and one CloudFront invalidation of everything."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.lambda_runtime import REPO_ROOT
from infra.naming import WEB_CONFIG, parameter_name


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("web_publish", REPO_ROOT / "web" / "publish.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


publish_module = _load()


class RecordingCloudFront:
    def __init__(self) -> None:
        self.invalidations: list[dict[str, Any]] = []

    def create_invalidation(self, **request: Any) -> None:
        self.invalidations.append(request)


@pytest.fixture
def aws() -> Any:
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        for key, suffix in WEB_CONFIG.items():
            ssm.put_parameter(Name=parameter_name("dev", suffix), Value=f"value-of-{key}/", Type="String")
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="site")
        yield ssm, s3


def test_given_the_stacks_parameters_when_building_config_then_every_key_and_the_regional_cognito_are_set(
    aws: Any,
) -> None:
    ssm, _ = aws
    config = publish_module.web_config(ssm, "dev", "eu-west-1")
    assert config["apiUrl"] == "value-of-apiUrl"
    assert config["userPoolClientId"] == "value-of-userPoolClientId/"
    assert config["cognitoEndpoint"] == "https://cognito-idp.eu-west-1.amazonaws.com/"
    assert set(config) == {*WEB_CONFIG, "region", "cognitoEndpoint"}


def test_given_a_missing_parameter_when_building_config_then_publishing_stops_naming_it(aws: Any) -> None:
    ssm, _ = aws
    ssm.delete_parameter(Name=parameter_name("dev", WEB_CONFIG["webSocketUrl"]))
    with pytest.raises(SystemExit, match="live/websocket-url"):
        publish_module.web_config(ssm, "dev", "us-east-1")


def test_given_the_app_when_published_then_its_files_and_config_are_uploaded_and_everything_invalidated(
    aws: Any, tmp_path: Path
) -> None:
    _, s3 = aws
    for name, text in {
        "index.html": "<html>",
        "js/views/home.js": "export {}",
        "css/app.css": "body{}",
        "vendor/hls.mjs": "x",
        "package.json": "{}",
        "vendor.sh": "#!",
        "node_modules/axe-core/axe.min.js": "x",
        "publish.py": "",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    cloudfront = RecordingCloudFront()
    written = publish_module.publish(
        s3, cloudfront, publish_module.Target("site", "E123"), {"apiUrl": "https://api"}, root=tmp_path
    )
    assert sorted(written) == [
        "config.json",
        "css/app.css",
        "index.html",
        "js/views/home.js",
        "vendor/hls.mjs",
    ]
    script = s3.get_object(Bucket="site", Key="js/views/home.js")
    assert script["ContentType"] == "text/javascript" and script["CacheControl"] == "no-cache"
    config = s3.get_object(Bucket="site", Key="config.json")
    assert json.loads(config["Body"].read()) == {"apiUrl": "https://api"}
    assert config["CacheControl"] == "no-store"
    [invalidation] = cloudfront.invalidations
    assert invalidation["DistributionId"] == "E123"
    assert invalidation["InvalidationBatch"]["Paths"] == {"Quantity": 1, "Items": ["/*"]}


def test_given_the_real_web_folder_then_every_module_the_app_imports_is_published() -> None:
    keys = {key for key, _ in publish_module.app_files()}
    assert {"index.html", "js/main.js", "js/views/watch.js", "css/app.css"} <= keys
    assert not any(
        key.startswith(("node_modules/", "package")) or key.endswith((".py", ".sh")) for key in keys
    )
