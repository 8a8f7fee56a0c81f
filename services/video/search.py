"""Search over published videos: an inverted index kept beside the catalog, one posting per (word, video).

The index is derived from the catalog record alone (title, description, tags, the transcript's text), so
`sync` is idempotent and order-tolerant: whatever event arrives, it makes the index match the video as it is
now. A posting's sort key is the video's publication key (`<published_at>#<video_id>`), the same for every
word of one video, so a query reads the first word's postings newest first and checks each candidate's other
words with one batch read per page.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.video.media import video_prefix
from services.video.models import Video, timestamp_key
from shared.pagination import decode_page_token, encode_page_token

MAX_QUERY_WORDS = 8
SEARCH_QUERY_MAX_LENGTH = 200
MAX_INDEXED_WORDS = 5000  # distinct words per video; a 2 h talk has ~4,000
MAX_WORD_LENGTH = 40
# Words too common to narrow anything; a query made only of them is refused, naming `q`.
STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "i", "in", "is",
     "it", "its", "of", "on", "or", "so", "that", "the", "this", "to", "was", "we", "were", "with", "you"}
)  # fmt: skip
APOSTROPHE = "\u2019"  # the typographic one, folded to '
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Batch reads per request page: bounds one search's latency; the next token resumes where it stopped.
MAX_ROUNDS = 5


def words(text: str) -> list[str]:
    """The searchable words of a text: Unicode letters and digits, case- and accent-folded, stop words out."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c)).replace(APOSTROPHE, "'")
    found = []
    for match in WORD.finditer(plain):
        word = match.group(0).replace("'", "")
        if word not in STOP_WORDS and len(word) <= MAX_WORD_LENGTH:
            found.append(word)
    return found


class QueryError(ValueError):
    """A search query with nothing to look up, or too much: the API answers 400 naming `q`."""


def query_words(q: str) -> list[str]:
    """The words to look up for a query; raises QueryError when there are none or too many."""
    unique = list(dict.fromkeys(words(q)))
    if not unique:
        raise QueryError("give at least one word to search for (common words like 'the' are ignored)")
    if len(unique) > MAX_QUERY_WORDS:
        raise QueryError(f"at most {MAX_QUERY_WORDS} words, got {len(unique)}")
    return unique


@dataclass(frozen=True)
class Document:
    """What the index holds for one video: its words, where it sorts, a signature of what they came from."""

    video_id: str
    rank_key: str
    terms: frozenset[str]
    signature: str


class SearchStore(Protocol):
    def page(self, term: str, *, limit: int, start: str | None) -> tuple[list[str], str | None]:
        """Rank keys holding `term`, newest first, after `start`; and the last key read if more may follow."""
        ...

    def present(self, term: str, rank_keys: Sequence[str]) -> set[str]:
        """Which of `rank_keys` hold `term`."""
        ...

    def document(self, video_id: str) -> Document | None: ...

    def write(self, old: Document | None, new: Document | None) -> None:
        """Replace `old`'s postings and document with `new`'s (None: remove)."""
        ...


@dataclass(frozen=True)
class SearchPage:
    video_ids: list[str]
    next_token: str | None


def rank_key(video: Video) -> str:
    return f"{timestamp_key(video.published_at or video.updated_at)}#{video.video_id}"


def video_id_of(key: str) -> str:
    return key.rsplit("#", 1)[1]


TranscriptReader = Callable[[str], str | None]


def _source(video: Video) -> tuple[str, str | None]:
    """The video's own searchable text (title, description, tags) and its transcript's key, if any."""
    fields = video.fields
    tags = fields.get("tags")
    parts = [video.title or "", str(fields.get("description") or "")]
    if isinstance(tags, list):
        parts.extend(str(tag) for tag in tags)
    key = fields.get("transcript_key")
    transcript = key if isinstance(key, str) and key.startswith(video_prefix(video.video_id)) else None
    return "\n".join(parts), transcript


@dataclass(frozen=True)
class SearchIndex:
    store: SearchStore

    def sync(self, video: Video | None, video_id: str, read: TranscriptReader) -> bool:
        """Make the index match the video as it is now (published: indexed; anything else: absent). Returns
        whether anything was written."""
        old = self.store.document(video_id)
        if video is None or video.status != "published":
            if old is None:
                return False
            self.store.write(old, None)
            return True
        text, transcript_key = _source(video)
        key = rank_key(video)
        signature = hashlib.sha256(f"{key}\n{text}\n{transcript_key}".encode()).hexdigest()
        if old is not None and old.signature == signature:
            return False
        transcript = (read(transcript_key) or "") if transcript_key else ""
        terms = list(dict.fromkeys(words(text) + words(transcript)))[:MAX_INDEXED_WORDS]
        self.store.write(old, Document(video_id, key, frozenset(terms), signature))
        return True

    def search(self, q: str, *, limit: int, token: str | None) -> SearchPage:
        """Videos holding every word of `q`, newest first; `token` resumes a previous page of the same query.
        Raises QueryError for a query with no word to look up, PageTokenError for a token of another list."""
        first, *rest = sorted(query_words(q), key=len, reverse=True)  # a longer word is likelier rare
        resumed = decode_page_token(token, attributes={"pk", "sk"}, equal={"pk": _term_pk(first)})
        start = resumed["sk"] if resumed else None
        found: list[str] = []
        for _ in range(MAX_ROUNDS):
            keys, last = self.store.page(first, limit=limit, start=start)
            matching = set(keys)
            for term in rest:
                if matching:
                    matching &= self.store.present(term, sorted(matching))
            for position, key in enumerate(keys):
                if key in matching:
                    found.append(key)
                    if len(found) == limit:
                        more = position < len(keys) - 1 or last is not None
                        return self._page(first, found, key if more else None)
            if last is None:
                return self._page(first, found, None)
            start = last
        return self._page(first, found, start)  # a short page: the token resumes after what was read

    @staticmethod
    def _page(term: str, found: list[str], resume_after: str | None) -> SearchPage:
        token = encode_page_token({"pk": _term_pk(term), "sk": resume_after}) if resume_after else None
        return SearchPage([video_id_of(k) for k in found], token)


# ---------------------------------------------------------------- DynamoDB


def _term_pk(term: str) -> str:
    return f"TERM#{term}"


def _doc_pk(video_id: str) -> str:
    return f"DOC#{video_id}"


class DynamoSearchStore:
    """The search table: `TERM#<word>`/rank key (a posting), `DOC#<video_id>`/`DOC` (its words) as pk/sk."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def page(self, term: str, *, limit: int, start: str | None) -> tuple[list[str], str | None]:
        from boto3.dynamodb.conditions import Key

        request: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(_term_pk(term)),
            "ScanIndexForward": False,
            "Limit": limit,
            "ProjectionExpression": "sk",
        }
        if start is not None:
            request["ExclusiveStartKey"] = {"pk": _term_pk(term), "sk": start}
        response = self.table.query(**request)
        keys = [str(item["sk"]) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return keys, str(last["sk"]) if last else None

    def present(self, term: str, rank_keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for offset in range(0, len(rank_keys), 100):  # BatchGetItem's ceiling
            request: dict[str, Any] = {
                self.table.name: {
                    "Keys": [{"pk": _term_pk(term), "sk": k} for k in rank_keys[offset : offset + 100]],
                    "ProjectionExpression": "sk",
                }
            }
            while request:
                response = self.table.meta.client.batch_get_item(RequestItems=request)
                found |= {str(i["sk"]) for i in response.get("Responses", {}).get(self.table.name, [])}
                request = response.get("UnprocessedKeys") or {}
        return found

    def document(self, video_id: str) -> Document | None:
        item = self.table.get_item(Key={"pk": _doc_pk(video_id), "sk": "DOC"}, ConsistentRead=True).get(
            "Item"
        )
        if not item:
            return None
        return Document(
            video_id=video_id,
            rank_key=str(item["rank_key"]),
            terms=frozenset(str(t) for t in item.get("terms", [])),
            signature=str(item["signature"]),
        )

    def write(self, old: Document | None, new: Document | None) -> None:
        stale = {(t, old.rank_key) for t in old.terms} if old else set()
        fresh = {(t, new.rank_key) for t in new.terms} if new else set()
        with self.table.batch_writer() as batch:
            # Postings first, the document last: a crash in between leaves a document that still differs
            # from the video's signature, so the next sync writes everything again.
            for term, key in sorted(fresh - stale):
                batch.put_item(Item={"pk": _term_pk(term), "sk": key, "video_id": video_id_of(key)})
            for term, key in sorted(stale - fresh):
                batch.delete_item(Key={"pk": _term_pk(term), "sk": key})
        if new is None:
            assert old is not None
            self.table.delete_item(Key={"pk": _doc_pk(old.video_id), "sk": "DOC"})
            return
        self.table.put_item(
            Item={
                "pk": _doc_pk(new.video_id),
                "sk": "DOC",
                "video_id": new.video_id,
                "rank_key": new.rank_key,
                "terms": sorted(new.terms),
                "signature": new.signature,
            }
        )
