"""`TitleBookStore` on DynamoDB: one item per video, the book as JSON, written only over the version read."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from services.genai.feedback import StaleBook, TitleBook


class DynamoTitleBookStore:
    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, video_id: str) -> TitleBook | None:
        item = self._table.get_item(Key={"video_id": video_id}, ConsistentRead=True).get("Item")
        return TitleBook.model_validate_json(str(item["book"])) if item else None

    def delete(self, video_id: str) -> None:
        self._table.delete_item(Key={"video_id": video_id})

    def put(self, book: TitleBook) -> None:
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(video_id)"}
            if book.version == 1
            else {
                "ConditionExpression": "#v = :previous",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":previous": book.version - 1},
            }
        )
        item = {"video_id": book.video_id, "version": book.version, "book": book.model_dump_json()}
        try:
            self._table.put_item(Item=item, **condition)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StaleBook(book.video_id) from error
            raise
