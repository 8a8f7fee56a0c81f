"""Offline `AvatarPainter`: characters derived deterministically from the transcript's keyphrases, each
painted by a procedural Pillow artist seeded by the video id and the character's text (same input, same
PNG)."""

from __future__ import annotations

import colorsys
import hashlib
import io

from services.genai import guardrails
from services.genai.errors import EmptyTranscriptError
from services.genai.local_extractive import _GENERIC, sentences_of
from services.genai.models import Character, CharacterSheet, Generation, Painting, Segment

MODEL_ID = "procedural-pillow-1"
PROMPT_VERSION = "avatars-local/v1"
SIZE = 512
MAX_CHARACTERS = 3


class ProceduralAvatarPainter:
    model_id = MODEL_ID

    def describe(self, video_id: str, segments: tuple[Segment, ...]) -> CharacterSheet:
        import yake

        clean = guardrails.viewer_segments(segments)
        sentences = sentences_of(clean)
        if not sentences:
            raise EmptyTranscriptError("the transcript has no speech to draw characters from")
        extractor = yake.KeywordExtractor(lan="en", n=2, top=20, dedup_lim=0.6)
        characters: list[Character] = []
        for phrase, _ in extractor.extract_keywords("\n".join(s.text for s in sentences)):
            words = phrase.casefold().split()
            if (
                words[0] in extractor.stopword_set
                or words[-1] in extractor.stopword_set
                or set(words) <= _GENERIC
            ):
                continue
            source = next((s for s in sentences if phrase.casefold() in s.text.casefold()), None)
            if source is None or any(set(words) & set(c.name.casefold().split()) for c in characters):
                continue
            name = " ".join(w[:1].upper() + w[1:] for w in phrase.split())[:80]
            description = f"A friendly illustrated emblem of {phrase}, as in: \u201c{source.text[:300]}\u201d"
            characters.append(
                Character(name=name, description=description[:500], evidence=source.evidence[:10])
            )
            if len(characters) == MAX_CHARACTERS:
                break
        if not characters:
            raise EmptyTranscriptError("no keyphrase in the transcript to draw")
        return CharacterSheet(
            characters=tuple(characters),
            generation=Generation(model_id=MODEL_ID, prompt_version=PROMPT_VERSION),
        )

    def paint(self, video_id: str, character: Character) -> Painting:
        return Painting(
            character=character,
            png=paint_png(video_id, character.name, character.description),
            generation=Generation(model_id=MODEL_ID, prompt_version=PROMPT_VERSION),
        )


def paint_png(video_id: str, name: str, description: str, size: int = SIZE) -> bytes:
    """A 5x5 mirrored identicon over a two-colour gradient with the name's initials; deterministic."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    seed = hashlib.sha256(f"{video_id}\x00{name}\x00{description}".encode()).digest()
    hue = seed[0] / 255

    def colour(h: float, lightness: float, saturation: float) -> tuple[int, int, int]:
        r, g, b = colorsys.hls_to_rgb(h % 1.0, lightness, saturation)
        return int(r * 255), int(g * 255), int(b * 255)

    top, bottom = colour(hue, 0.45, 0.65), colour(hue + 0.12 + seed[1] / 2550, 0.30, 0.70)
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        t = y / (size - 1)
        draw.line(
            [(0, y), (size, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    overlay = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    cells = ImageDraw.Draw(overlay)
    cell = size // 7
    accent = (*colour(hue + 0.5, 0.75, 0.6), 110)
    for row in range(5):
        for col in range(3):
            if (seed[2 + row] >> col) & 1:
                for c in {col, 4 - col}:
                    x0, y0 = cell * (c + 1), cell * (row + 1)
                    cells.rounded_rectangle(
                        [x0 + 4, y0 + 4, x0 + cell - 4, y0 + cell - 4], radius=cell // 5, fill=accent
                    )
    image = Image.alpha_composite(image.convert("RGBA"), overlay)
    initials = "".join(w[0] for w in name.split() if w[:1].isalnum())[:2].upper() or "?"
    font = ImageFont.load_default(size=size // 3)
    shadow = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(shadow).text(
        (size / 2 + 6, size / 2 + 6), initials, font=font, anchor="mm", fill=(0, 0, 0, 140)
    )
    image = Image.alpha_composite(image, shadow.filter(ImageFilter.GaussianBlur(8)))
    text = ImageDraw.Draw(image)
    text.text((size / 2, size / 2), initials, font=font, anchor="mm", fill=(255, 255, 255, 255))
    label_font = ImageFont.load_default(size=size // 20)
    label = name if len(name) <= 32 else name[:31] + "…"
    text.rounded_rectangle(
        [size * 0.08, size * 0.84, size * 0.92, size * 0.94], radius=size // 22, fill=(0, 0, 0, 120)
    )
    text.text((size / 2, size * 0.89), label, font=label_font, anchor="mm", fill=(255, 255, 255, 255))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
