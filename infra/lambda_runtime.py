"""The Lambda runtime that functions and the dependencies layer target (no CDK import: setup reads it)."""

from pathlib import Path

PYTHON_VERSION = "3.14"
# Wheels for Graviton on Amazon Linux 2023 (glibc 2.34); older manylinux tags run there too.
WHEEL_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = REPO_ROOT / "requirements-lambda.txt"
# The ffmpeg layer of the post-processing functions; its wheel shares the cache below.
FFMPEG_REQUIREMENTS = REPO_ROOT / "requirements-lambda-ffmpeg.txt"
WHEELS_DIR = REPO_ROOT / ".cache" / "lambda-wheels"
WHEELS_STAMP = WHEELS_DIR / ".stamp"


def wheels_stamp() -> str:
    """What the wheel cache must have been downloaded for: the runtime and the exact requirements."""
    import hashlib

    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + FFMPEG_REQUIREMENTS.read_bytes()).hexdigest()[:16]
    return f"python{PYTHON_VERSION} {' '.join(WHEEL_PLATFORMS)} {digest}"
