"""The `svideo` command: one parser, each command group added by its own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cli import cloud, demo, genai, ops, plugins, users
from cli.control import CliError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="svideo", description="The svideo platform on this machine.")
    top.add_argument(
        "--state-dir", help="local cloud state (default .svideo/ in the repository, or $SVIDEO_STATE_DIR)"
    )
    commands = top.add_subparsers(dest="command", required=True)
    for module in (plugins, ops, genai, users, cloud, demo):
        module.add_commands(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except CliError as exc:
        print(f"svideo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
