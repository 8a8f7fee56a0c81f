"""`TitleWriter` over any OpenAI-compatible chat-completions endpoint given by URL (a local llama.cpp or vLLM
server, for instance). Same prompt, JSON contract, guardrails and retry-once as the Bedrock adapter."""

from __future__ import annotations

from typing import Any

import requests

from services.genai.aws_bedrock import BedrockConverse, BedrockTitleWriter
from services.genai.errors import GenerationError
from services.genai.models import TitleRequest, TitleSet

TIMEOUT_S = 60


class ChatCompletionsAsConverse:
    """Answers `converse(**request)` in Bedrock's shape by calling POST {base_url}/chat/completions."""

    def __init__(self, base_url: str, session: Any = None) -> None:
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._session = session or requests.Session()

    def converse(self, **request: Any) -> dict[str, Any]:
        messages = [{"role": "system", "content": request["system"][0]["text"]}] + [
            {"role": m["role"], "content": "".join(c["text"] for c in m["content"])}
            for m in request["messages"]
        ]
        response = self._session.post(
            self._url,
            json={
                "model": request["modelId"],
                "messages": messages,
                "max_tokens": request["inferenceConfig"]["maxTokens"],
                "temperature": request["inferenceConfig"]["temperature"],
                # JSON mode: llama.cpp's server and Ollama constrain decoding to a JSON object.
                "response_format": {"type": "json_object"},
            },
            timeout=TIMEOUT_S,
        )
        if response.status_code != 200:
            raise GenerationError(f"the endpoint answered HTTP {response.status_code}")
        body = response.json()
        usage = body.get("usage") or {}
        return {
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [{"text": body["choices"][0]["message"]["content"]}],
                }
            },
            "stopReason": body["choices"][0].get("finish_reason", "stop"),
            "usage": {
                "inputTokens": usage.get("prompt_tokens", 0),
                "outputTokens": usage.get("completion_tokens", 0),
            },
        }


class OpenAiCompatibleTitleWriter:
    def __init__(self, base_url: str, model: str, session: Any = None) -> None:
        self._writer = BedrockTitleWriter(
            BedrockConverse(ChatCompletionsAsConverse(base_url, session), model)
        )
        self.model_id = model

    def write(self, request: TitleRequest) -> TitleSet:
        return self._writer.write(request)
