"""``python -m dbstack resolve|explain``: the CLI's two resolving subcommands, same flags,
same output, same exit codes (0 ok, 2 bad input or configuration, 3 Vault required).
``python -m dbstack verify``: ``manage.py verify_db_connections`` without Django
(``dbstack.verification``)."""

from __future__ import annotations

import argparse
import json
import sys

from dbstack import _native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dbstack", description="Resolve the stack's connection settings.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("verify", help="check every database and service (manage.py verify_db_connections)", add_help=False)
    resolve = commands.add_parser("resolve", help="print the resolved configuration")
    resolve.add_argument("--format", choices=["json", "django", "env", "table"], default="table")
    resolve.add_argument("--json", action="store_true", help="shorthand for --format json")
    explain = commands.add_parser("explain", help="every value, the source that won and what it overrode")
    explain.add_argument("--json", action="store_true", help="rows as JSON instead of a table")
    for sub in (resolve, explain):
        sub.add_argument("--show-secrets", action="store_true", help="print secrets instead of ********")
        sub.add_argument("--profile", help="development or production (beats DBSTACK_PROFILE)")
        sub.add_argument("--stack", metavar="FILE", help="stack file, TOML (beats DBSTACK_CONFIG)")
        sub.add_argument("--offline", action="store_true", help="do not contact Vault")
        sub.add_argument("--env-file", action="append", default=[], metavar="PATH", help="read a .env file (repeatable)")
    return parser


def _print(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["verify"]:
        from dbstack import verification

        return verification.main(argv[1:], prog="python -m dbstack verify")
    args = _parser().parse_args(argv)
    if args.command == "resolve":
        fmt = "json" if args.json else args.format
    else:
        fmt = "explain-json" if args.json else "explain"
    answer = _native.stack_from_process(
        profile=args.profile,
        stack_file=args.stack,
        offline=args.offline,
        render=fmt,
        reveal=args.show_secrets,
        env_files=args.env_file,
    )
    if not answer["ok"]:
        error = answer["error"]
        sys.stderr.write(f"error: {error['message']} (source: {error['source']})\n")
        return int(error["exit_code"])
    warnings = [str(w.get("message", "")) for w in answer["redacted"].get("warnings", [])]
    rendered = answer["rendered"]
    if fmt in ("json", "env", "explain", "explain-json"):
        for message in warnings:
            sys.stderr.write(f"warning: {message}\n")
    if fmt == "explain-json":
        _print(json.dumps(rendered, indent=2))
    else:
        _print(str(rendered))
    return 0


if __name__ == "__main__":
    sys.exit(main())
