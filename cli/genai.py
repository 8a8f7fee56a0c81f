"""`svideo genai titles --transcript FILE [--feedback TEXT] [--json]`: the titles plugin's own code on any
text. It writes round 1 from the transcript (plain text, or WebVTT captions) through the output guardrails;
with `--feedback` it writes round 2 from that feedback, as the regeneration handler does, and prints it."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from cli.control import CliError
from services.genai.memory_store import MemoryArtefactStore

_CUE_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}\.\d{3} --> ")


def read_segments(path: Path) -> tuple[Any, ...]:
    """One segment per WebVTT cue, or per sentence of plain text (3 s apart)."""
    from services.genai.models import Segment

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise CliError(f"--transcript: cannot read {path}: {error.strerror}") from error
    if text.startswith("WEBVTT"):
        lines = [line.strip() for line in text.splitlines()[1:]]
        parts = [line for line in lines if line and not line.isdigit() and not _CUE_TIME.match(line)]
    else:
        parts = [p for p in re.split(r"(?<=[.!?])\s+|\n+", text) if p.strip()]
    return tuple(
        Segment(index=i, start_ms=i * 3000, end_ms=i * 3000 + 2900, text=p[:2000])
        for i, p in enumerate(parts)
    )


def cmd_titles(args: argparse.Namespace) -> int:
    from services.genai import config, directives, tasks
    from services.genai.errors import GenerationError
    from services.genai.models import TitleRequest

    settings = config.settings()
    writer, guard = config.build_title_writer(settings), config.build_output_guard(settings)
    segments = read_segments(Path(args.transcript))
    store = MemoryArtefactStore()
    request = TitleRequest(video_id="cli", segments=segments, language=args.language)
    try:
        output = tasks.write_titles(request, writer, store, settings.max_title_rounds, guard)
        if args.feedback:
            latest = [c["title"] for c in output["candidates"]]
            request = request.model_copy(
                update={
                    "round": 2,
                    "feedback": args.feedback,
                    "previous_titles": tuple(latest),
                    "rejected_titles": tuple(directives.rejected_by(args.feedback, latest)),
                }
            )
            output = tasks.write_titles(request, writer, store, settings.max_title_rounds, guard)
    except GenerationError as error:
        raise CliError(f"no titles: {error}") from error
    stored = json.loads(store.get(output["output_key"]))
    result = {
        "round": output["round"],
        "candidates": [{"title": c["title"], "evidence": c["evidence"]} for c in output["candidates"]],
        "description": output["description"],
        "tags": output["tags"],
        "verdicts": stored["verdicts"],
        "model_id": output["model_id"],
        "prompt_version": output["prompt_version"],
    }
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False)
        print()
        return 0
    print(f"round {result['round']} ({result['model_id']}, {result['prompt_version']})")
    for number, candidate in enumerate(result["candidates"], 1):
        print(f"  {number}. {candidate['title']}")
    print(f"description: {result['description']}")
    print(f"tags: {', '.join(result['tags'])}")
    print("verdicts:")
    for verdict in result["verdicts"]:
        mark = "allowed" if verdict["allowed"] else "REFUSED " + ",".join(verdict["reasons"])
        print(f"  {verdict['field']:<11} {mark:<30} {verdict['text'][:70]}")
    return 0


def add_commands(commands: Any) -> None:
    """Mounts `genai` on the `svideo` parser's subcommands."""
    genai = commands.add_parser("genai", help="run the generative plugins' code on your own input")
    sub = genai.add_subparsers(dest="genai_command", required=True)
    titles = sub.add_parser("titles", help="title candidates, description, tags and guardrail verdicts")
    titles.add_argument("--transcript", required=True, help="a plain-text or WebVTT transcript")
    titles.add_argument("--feedback", help='feedback for a second round ("shorter", "include WORD", ...)')
    titles.add_argument("--language", default="en", help="the transcript's language (default en)")
    titles.add_argument("--json", action="store_true", help="print one JSON object")
    titles.set_defaults(handler=cmd_titles)
