"""A minimal OpenAI-compatible chat-completions server, run as its own process by the adapter's tests.

It checks each request the way llama.cpp's server and Ollama read it (POST /v1/chat/completions, a `model`, a
system and a user message, `max_tokens`, `temperature`, `response_format` json_object) and answers, in the
chat.completion shape those servers send, the next reply of a script given as a JSON file: a list of
assistant message contents, taken one per request. Every request it received is appended to a JSON-lines
log for the test to read.

Run: python tests/integration/genai/chat_server.py PORT SCRIPT.json LOG.jsonl"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def serve(port: int, script: Path, log: Path) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            with log.open("a") as out:
                out.write(json.dumps({"path": self.path, "body": body}) + "\n")
            roles = [m.get("role") for m in body.get("messages", [])]
            wrong = self.path != "/v1/chat/completions" or not body.get("model")
            if wrong or roles[:2] != ["system", "user"]:
                return self._send(400, {"error": {"message": "bad request", "type": "invalid_request_error"}})
            replies: list[str] = json.loads(script.read_text())  # the test may add replies at any time
            if not replies:
                return self._send(500, {"error": {"message": "script exhausted", "type": "server_error"}})
            content = replies.pop(0)
            script.write_text(json.dumps(replies))
            prompt_tokens = sum(len(m.get("content", "").split()) for m in body["messages"])
            self._send(200, {
                "id": f"chatcmpl-{len(replies)}", "object": "chat.completion", "created": int(time.time()),
                "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(content.split()),
                          "total_tokens": prompt_tokens + len(content.split())},
            })  # fmt: skip

        def _send(self, status: int, payload: dict[str, object]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
