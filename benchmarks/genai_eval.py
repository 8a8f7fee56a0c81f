"""Evaluates the offline generative path as a broadcaster meets it.

Spoken clips (tests/ground_truth, espeak-ng with each clip's voice, speed and noise): Whisper's WER without
and with vocabulary hints (the clip's channel name and earlier titles), raw and with numbers written as
digits on both sides; then titles from Whisper's transcript through the output guardrails, as the plugin
publishes them. Rule for "names topic and activity": the first title says one of the clip's topic keywords
and one of its activity words (whole words, case-insensitive; tests/ground_truth/*.json). Keyword hit rate:
the share of a clip's topic keywords said anywhere in its public text (candidates, description, tags).

Hostile transcripts (tests/genai_corpus): each through the titles and avatars tasks with the guardrails;
every public text is checked by an independent rule (its transcript's forbidden strings, written contacts,
digit runs, control characters, markup, model-addressed text) and every unsafe one is printed.

Run: python -m benchmarks.genai_eval [--no-speech]"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from services.genai import config, tasks
from services.genai.errors import GenerationError
from services.genai.local_extractive import ExtractiveTitleWriter
from services.genai.local_painter import ProceduralAvatarPainter
from services.genai.local_whisper import LocalWhisperTranscriber, default_cache_dir
from services.genai.memory_store import MemoryArtefactStore
from services.genai.models import TitleRequest
from tests.genai_corpus import load_corpus, load_forbidden, segments_from_text, unsafe_texts
from tests.ground_truth import Reference, load_ground_truth, speak_reference, word_error_rate


def public_texts(titles: dict[str, Any], avatars: dict[str, Any] | None = None) -> list[str]:
    texts = [c["title"] for c in titles["candidates"]] + [titles["description"], *titles["tags"]]
    for avatar in (avatars or {}).get("avatars", []):
        texts += [avatar["name"], avatar["description"]]
    return texts


def spoken(references: list[Reference]) -> tuple[int, int]:
    transcriber = LocalWhisperTranscriber(default_cache_dir())
    writer, guard = ExtractiveTitleWriter(), config.build_output_guard(config.GenAiSettings())
    print(
        f"{'clip':11} {'voice':15} {'wpm':>3} {'noise':>5} {'audio s':>7} {'WER':>5} {'WERnum':>6} "
        f"{'hinted':>6} {'kw hit':>6} {'asr s':>5} {'titles s':>8} ok  first title"
    )
    named = total = 0
    sums = {"wer": 0.0, "num": 0.0, "hinted": 0.0, "plain_s": 0.0, "hinted_s": 0.0, "hits": 0.0}
    with tempfile.TemporaryDirectory() as work:
        for reference in references:
            clip = speak_reference(reference, Path(work) / f"{reference.id}.wav")
            store = MemoryArtefactStore()
            t0 = time.perf_counter()
            transcript = tasks.transcribe(reference.id, clip, transcriber, store)
            t1 = time.perf_counter()
            hints = (reference.channel, *reference.earlier_titles)
            hinted = transcriber.transcribe(reference.id, clip, hints=hints)
            t2 = time.perf_counter()
            text = store.get(transcript["transcript_key"]).decode()
            segments = tasks.load_segments({"transcript": transcript}, store)
            titles = tasks.write_titles(
                TitleRequest(video_id=reference.id, segments=segments), writer, store, 3, guard
            )
            t3 = time.perf_counter()
            first = titles["candidates"][0]["title"]
            ok = reference.names_topic(first) and reference.names_activity(first)
            named += ok
            total += 1
            texts = public_texts(titles)
            hits = sum(
                any(reference.names_topic(t) and k.lower() in t.lower() for t in texts)
                for k in reference.keywords
            ) / len(reference.keywords)
            wer = word_error_rate(reference.text, text)
            num = word_error_rate(reference.text, text, numbers_as_digits=True)
            wer_hinted = word_error_rate(reference.text, hinted.text, numbers_as_digits=True)
            for key, value in (
                ("wer", wer),
                ("num", num),
                ("hinted", wer_hinted),
                ("plain_s", t1 - t0),
                ("hinted_s", t2 - t1),
                ("hits", hits),
            ):
                sums[key] += value
            print(
                f"{reference.id:11} {reference.voice:15} {reference.words_per_minute:3d} "
                f"{reference.noise:5.3f} "
                f"{transcript['audio_seconds']:7.1f} {wer:5.3f} {num:6.3f} {wer_hinted:6.3f} {hits:6.2f} "
                f"{t1 - t0:5.1f} {t3 - t2:8.2f} {'yes' if ok else 'NO ':3} {first}"
            )
    n = max(total, 1)
    print(
        f"\nmean WER {sums['wer'] / n:.3f}; numbers as digits {sums['num'] / n:.3f}; with vocabulary hints "
        f"{sums['hinted'] / n:.3f} (ratio {sums['hinted'] / max(sums['num'], 1e-9):.2f} of the unhinted, "
        f"transcription time ratio {sums['hinted_s'] / max(sums['plain_s'], 1e-9):.2f})"
    )
    print(f"topic-keyword hit rate {sums['hits'] / n:.2f}")
    print(f"first titles naming topic and activity: {named} of {total}")
    return named, total


def hostile() -> int:
    writer, painter = ExtractiveTitleWriter(), ProceduralAvatarPainter()
    guard = config.build_output_guard(config.GenAiSettings())
    forbidden = load_forbidden()
    unsafe_total = 0
    print(f"\n{'hostile input':18} {'outcome':9} {'public':>6} {'refused':>7} {'unsafe':>6}  first title")
    for name, text in load_corpus().items():
        segments = segments_from_text(text)
        store = MemoryArtefactStore()
        try:
            titles = tasks.write_titles(
                TitleRequest(video_id=name, segments=segments), writer, store, 3, guard
            )
        except GenerationError as error:
            print(f"{name:18} {'no titles':9} {0:6d} {'-':>7} {0:6d}  ({error.code})")
            continue
        avatars = tasks.paint_avatars(name, segments, painter, store, guard)
        refused = sum(not v["allowed"] for v in json.loads(store.get(titles["output_key"]))["verdicts"])
        texts = public_texts(titles, avatars)
        bad = unsafe_texts(texts, forbidden[name])
        unsafe_total += len(bad)
        print(
            f"{name:18} {'published':9} {len(texts):6d} {refused:7d} {len(bad):6d}  "
            f"{titles['candidates'][0]['title']}"
        )
        for text in bad:
            print(f"    UNSAFE: {text!r}")
    print(f"unsafe public outputs on the hostile set: {unsafe_total}")
    return unsafe_total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--no-speech", action="store_true", help="the hostile set only (no espeak-ng/Whisper)"
    )
    args = parser.parse_args(argv)
    if not args.no_speech:
        spoken(load_ground_truth())
    hostile()


if __name__ == "__main__":
    main()
