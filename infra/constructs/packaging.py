"""Docker-free Lambda packaging: each function's code, and one dependencies layer per stack."""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.lambda_runtime import (
    FFMPEG_REQUIREMENTS,
    PYTHON_VERSION,
    REPO_ROOT,
    REQUIREMENTS,
    WHEEL_PLATFORMS,
    WHEELS_DIR,
    WHEELS_STAMP,
    wheels_stamp,
)

RUNTIME: lambda_.Runtime = getattr(lambda_.Runtime, "PYTHON_" + PYTHON_VERSION.replace(".", "_"))
ARCHITECTURE = lambda_.Architecture.ARM_64
LAYER_ID = "DependenciesLayer"
FFMPEG_LAYER_ID = "FfmpegLayer"
_SKIPPED_PARTS = {"tests", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}


def _code_files(service: str) -> list[Path]:
    """Repo-relative paths of what a service's function ships: shared/ and services/<service>/."""
    return code_files(Path("services", service))


def code_files(package_dir: Path) -> list[Path]:
    """Repo-relative paths of what a function of `package_dir` (services/<x>, plugins/<x>) ships: shared/ and
    that package, with the package markers between the repo root and it."""
    if not (REPO_ROOT / package_dir).is_dir():
        raise ValueError(f"no such service or plugin directory: {package_dir}")
    # The package markers between the root and the package, so `services.<service>` imports.
    files = [p / "__init__.py" for p in [package_dir, *package_dir.parents][1:-1]]
    for root in (Path("shared"), package_dir):
        for path in sorted((REPO_ROOT / root).rglob("*")):
            relative = path.relative_to(REPO_ROOT)
            skipped = _SKIPPED_PARTS.intersection(relative.parts) or any(
                part.endswith(".egg-info") for part in relative.parts
            )
            if path.is_file() and not skipped and path.suffix not in _SKIPPED_SUFFIXES:
                files.append(relative)
    return [f for f in files if (REPO_ROOT / f).is_file()]


def _digest(pairs: list[tuple[Path, Path]]) -> str:
    digest = hashlib.sha256()
    for source, target in pairs:
        digest.update(str(target).encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


@jsii.implements(cdk.ILocalBundling)
class _CopyFiles:
    """Copies a fixed list of files into the asset (each to its place there): what Docker bundling would
    do, without Docker."""

    def __init__(self, pairs: list[tuple[Path, Path]]) -> None:
        self._pairs = pairs

    def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
        for source, relative in self._pairs:
            target = Path(output_dir, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        return True


@jsii.implements(cdk.ILocalBundling)
class _InstallWheels:
    """Installs a requirements file from the pre-downloaded wheel cache into <asset>/python (offline)."""

    def __init__(self, requirements: Path = REQUIREMENTS) -> None:
        self._requirements = requirements

    def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
        platforms = [arg for platform in WHEEL_PLATFORMS for arg in ("--platform", platform)]
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index",
             "--find-links", str(WHEELS_DIR), "--no-deps", "--only-binary=:all:", "--no-compile",
             "--implementation", "cp", "--python-version", PYTHON_VERSION, *platforms,
             "--target", str(Path(output_dir, "python")), "-r", str(self._requirements)],
            check=True,
        )  # fmt: skip
        return True


def service_code(service: str) -> lambda_.Code:
    """The function code asset for one service, re-bundled only when its files change."""
    return code_from_files(Path("services", service), _code_files(service))


def code_from_files(root: Path, files: list[Path]) -> lambda_.Code:
    """A code asset of repo-relative `files` (laid out as in the repo), hashed on their content; `root` is
    the repo folder the asset is named after."""
    return code_from_pairs(REPO_ROOT / root, [(REPO_ROOT / f, f) for f in files])


def code_from_pairs(root: Path, pairs: list[tuple[Path, Path]]) -> lambda_.Code:
    """A code asset of (file, its path in the asset) pairs, hashed on their content; `root` is the folder
    the asset is named after."""
    unique = sorted({target: source for source, target in pairs}.items())
    ordered = [(source, target) for target, source in unique]
    return lambda_.Code.from_asset(
        str(root),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=_digest(ordered),
        bundling=cdk.BundlingOptions(image=RUNTIME.bundling_image, local=_CopyFiles(ordered)),
    )


def dependencies_layer(scope: Construct) -> lambda_.ILayerVersion:
    """The stack's one third-party dependencies layer, created on first use."""
    return _wheels_layer(
        scope, LAYER_ID, REQUIREMENTS, "svideo third-party Python dependencies (requirements-lambda.txt)"
    )


def ffmpeg_layer(scope: Construct) -> lambda_.ILayerVersion:
    """The stack's ffmpeg layer (imageio-ffmpeg's static aarch64 binary), for functions that run ffmpeg."""
    return _wheels_layer(
        scope, FFMPEG_LAYER_ID, FFMPEG_REQUIREMENTS, "ffmpeg for Graviton (requirements-lambda-ffmpeg.txt)"
    )


def _wheels_layer(
    scope: Construct, layer_id: str, requirements: Path, description: str
) -> lambda_.ILayerVersion:
    stack = cdk.Stack.of(scope)
    existing = stack.node.try_find_child(layer_id)
    if isinstance(existing, lambda_.LayerVersion):
        return existing
    if not WHEELS_STAMP.is_file() or WHEELS_STAMP.read_text().strip() != wheels_stamp():
        raise RuntimeError(
            f"Lambda layer wheels missing or stale in {WHEELS_DIR.relative_to(REPO_ROOT)}: run `make setup`"
        )
    return lambda_.LayerVersion(
        stack,
        layer_id,
        description=description,
        compatible_runtimes=[RUNTIME],
        compatible_architectures=[ARCHITECTURE],
        code=lambda_.Code.from_asset(
            str(WHEELS_DIR),
            asset_hash_type=cdk.AssetHashType.CUSTOM,
            asset_hash=hashlib.sha256(f"{wheels_stamp()} {requirements.name}".encode()).hexdigest(),
            bundling=cdk.BundlingOptions(image=RUNTIME.bundling_image, local=_InstallWheels(requirements)),
        ),
    )
