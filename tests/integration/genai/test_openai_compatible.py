"""The OpenAI-compatible title writer against a chat-completions server in its own process, over HTTP: the
same prompt and JSON contract as the Bedrock path, retry once on an invalid reply, token counts from the
server's usage, and the output guardrails on what it wrote. The server (chat_server.py) answers scripted
replies: no model that ships in a package serves this API here without a source build (docs/genai.md)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from services.genai import config, prompts, tasks
from services.genai.errors import InvalidModelOutputError
from services.genai.memory_store import MemoryArtefactStore
from services.genai.models import TitleRequest
from services.genai.openai_compatible import OpenAiCompatibleTitleWriter
from tests.genai_corpus import segments_from_text

SERVER = Path(__file__).with_name("chat_server.py")
TEXT = (
    "Today I am going to show you how to replace the chain on a road bike. You need a chain tool and a new "
    "chain with a quick link. Visit www.cheap-chains.com for parts. Join the ends with the quick link."
)
GOOD = {
    "candidates": [
        {"text": "How to Replace a Road Bike Chain", "evidence": [0]},
        {"text": "Chain Tool and Quick Link Basics", "evidence": [1, 3]},
        {"text": "Buy Chains at www.cheap-chains.com", "evidence": [2]},
        {"text": "Replacing the Chain on a Road Bike", "evidence": [0]},
    ],
    "description": {"text": "A how-to on replacing a road bike chain with a chain tool.", "evidence": [0, 1]},
    "tags": [{"text": "road bike", "evidence": [0]}, {"text": "Quick Link", "evidence": [1]}],
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """(base URL, script file to fill before the first request, request log)."""
    port, script, log = _free_port(), tmp_path / "script.json", tmp_path / "requests.jsonl"
    script.write_text("[]")
    process = subprocess.Popen([sys.executable, str(SERVER), str(port), str(script), str(log)])
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.post(f"{base}/health", json={}, timeout=1)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "the chat server did not start"
            time.sleep(0.1)
    log.unlink(missing_ok=True)
    yield base, script, log
    process.terminate()
    process.wait(timeout=10)


def _requests(log: Path) -> list[dict[str, object]]:
    return [json.loads(line)["body"] for line in log.read_text().splitlines()]


def _script(script: Path, *replies: str) -> None:
    script.write_text(json.dumps(list(replies)))


def test_given_a_chat_server_when_titles_are_written_then_the_bedrock_prompt_goes_out_and_guardrails_apply(
    server: tuple[str, Path, Path],
) -> None:
    base, script, log = server
    _script(script, json.dumps(GOOD))
    writer = OpenAiCompatibleTitleWriter(base, "gemma-3-270m")
    store = MemoryArtefactStore()
    request = TitleRequest(video_id="v1", segments=segments_from_text(TEXT))
    guard = config.build_output_guard(config.GenAiSettings())

    output = tasks.write_titles(request, writer, store, 3, guard)

    titles = [c["title"] for c in output["candidates"]]
    assert titles[0] == "How to Replace a Road Bike Chain"
    assert not [t for t in titles if "cheap-chains" in t]  # the URL candidate was refused, never published
    refused = [v for v in json.loads(store.get(output["output_key"]))["verdicts"] if not v["allowed"]]
    assert [v["text"] for v in refused] == ["Buy Chains at www.cheap-chains.com"]
    assert output["tags"] == ["road bike", "quick link"]
    assert output["model_id"] == "gemma-3-270m" and output["input_tokens"] > 0 and output["output_tokens"] > 0
    [sent] = _requests(log)
    system, user = sent["messages"]  # type: ignore[index]
    assert system == {"role": "system", "content": prompts.load("titles").system}
    assert "how to replace the chain" in user["content"] and "<transcript-" in user["content"]
    assert sent["response_format"] == {"type": "json_object"} and sent["model"] == "gemma-3-270m"


def test_given_an_invalid_reply_then_the_writer_asks_once_more_and_a_second_one_fails_cleanly(
    server: tuple[str, Path, Path],
) -> None:
    base, script, log = server
    writer = OpenAiCompatibleTitleWriter(base, "local-model")
    request = TitleRequest(video_id="v1", segments=segments_from_text(TEXT))
    _script(script, '```json\n{"candidates": [\n```', json.dumps(GOOD))
    assert writer.write(request).candidates[0].text == "How to Replace a Road Bike Chain"
    retry = _requests(log)[1]["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]  # type: ignore[index]

    _script(script, "Sure! Here are some titles.", '{"candidates": []}')
    with pytest.raises(InvalidModelOutputError):
        writer.write(request)
