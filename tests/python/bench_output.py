"""Output size and time at 50 / 500 / 5,000 aliases (BENCHMARKS.md, "Output at scale").

For a generated stack file of N aliases (each with its own route), times in one process, through
the Python binding (the same core renderers as the CLI): the resolve alone, `Stack.explain()`,
and the CLI renderings `explain`, `table`, `django` (the settings snippet) and `json`; prints
the median milliseconds and the output size in bytes, and bytes per alias (flat = linear).
Usage: python tests/python/bench_output.py [runs]   (default 5 runs per measurement)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import dbstack
from dbstack import _native

SIZES = (50, 500, 5000)
ENV = {"DBSTACK_PROFILE": "development", "DBSTACK_KUBERNETES": "false", "SUPABASE_DB_HOST": "db.example"}


def stack_text(n: int) -> str:
    lines = ['[aliases.default]\nservice = "supabase"\ndatabase = "app"\n']
    lines += [f'[aliases.shard_{i:05}]\nservice = "supabase"\ndatabase = "shard_{i:05}"\n' for i in range(1, n)]
    lines.append("[routes]")
    lines += [f'app_{i:05} = "shard_{i:05}"' for i in range(1, n)]
    return "\n".join(lines) + "\n"


def median_ms(runs: int, body: Callable[[], Any]) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = body()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), out


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"{'aliases':>7} {'output':<14} {'median ms':>10} {'bytes':>12} {'bytes/alias':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            path = Path(tmp) / f"stack-{n}.toml"
            path.write_text(stack_text(n))
            env = {**ENV, "DBSTACK_CONFIG": str(path)}
            rows: list[tuple[str, float, int]] = []
            ms, stack = median_ms(runs, lambda: dbstack.resolve(env=env, offline=True))
            rows.append(("resolve", ms, 0))
            ms, text = median_ms(runs, stack.explain)
            rows.append(("Stack.explain", ms, len(text.encode())))
            for fmt in ("explain", "table", "django", "json"):
                ms, answer = median_ms(
                    runs, lambda: _native.stack_from_process(env=env, offline=True, render=fmt)
                )
                rows.append((f"{fmt} (+resolve)", ms, len(str(answer["rendered"]).encode())))
            for name, ms, size in rows:
                per = f"{size / n:,.0f}" if size else "-"
                print(f"{n:>7} {name:<14} {ms:>10.2f} {size:>12,} {per:>12}")


if __name__ == "__main__":
    main()
