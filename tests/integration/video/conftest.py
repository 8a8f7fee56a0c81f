"""The video service on moto in-process: the catalog table as the stack defines it, the media bucket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from botocore.config import Config
from moto import mock_aws

from infra.stacks.video_stack import INDEXES
from services.video.domain import Catalog
from services.video.media import S3MediaStore
from services.video.repository import OUTBOX_PREFIX, DynamoVideoRepository
from services.video.search import DynamoSearchStore, SearchIndex

TABLE = "dev-svideo-videos"
SEARCH_TABLE = "dev-svideo-video-search"
BUCKET = "dev-svideo-media"


@dataclass
class VideoCloud:
    table: Any
    s3: Any
    repository: DynamoVideoRepository
    media: S3MediaStore
    catalog: Catalog
    search_table: Any

    def outbox(self, video_id: str) -> list[dict[str, Any]]:
        """The video's outbox items, as the stream will carry them to the Pipes."""
        response = self.table.query(
            KeyConditionExpression=Key("PK").eq(f"VIDEO#{video_id}") & Key("SK").begins_with(OUTBOX_PREFIX)
        )
        return list(response["Items"])

    def details_json(self, video_id: str) -> list[dict[str, Any]]:
        return [json.loads(item["detail"]) for item in self.outbox(video_id)]


@pytest.fixture
def video_cloud() -> Iterator[VideoCloud]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        attributes = {"PK", "SK", *(key for keys in INDEXES.values() for key in keys)}
        table = dynamodb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in sorted(attributes)
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": name,
                    "KeySchema": [
                        {"AttributeName": partition, "KeyType": "HASH"},
                        {"AttributeName": sort, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for name, (partition, sort) in INDEXES.items()
            ],
        )
        s3 = boto3.client("s3", region_name="us-east-1", config=Config(signature_version="s3v4"))
        s3.create_bucket(Bucket=BUCKET)
        search_table = dynamodb.create_table(
            TableName=SEARCH_TABLE,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
        )
        repository = DynamoVideoRepository(table)
        media = S3MediaStore(s3, BUCKET)
        search = SearchIndex(DynamoSearchStore(search_table))
        yield VideoCloud(
            table, s3, repository, media, Catalog(repository, media=media, search=search), search_table
        )
