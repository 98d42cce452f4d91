"""Whole-process start-up cost (BENCHMARKS.md, "Python start-up").

Runs, interleaved, many times each:
  bare     python -c pass
  dbstack  python -c "import dbstack; dbstack.resolve()"
  peer     dj-database-url + django-environ building the same settings dicts
and prints the medians (and p10/p90) in milliseconds. Usage: python tests/python/bench_startup.py [runs]
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time

PEER = """
import os
import dj_database_url
import environ
env = environ.Env()
DATABASES = {
    "default": dj_database_url.parse(env.str("DATABASE_URL"), conn_max_age=0, conn_health_checks=False),
    "agent_db": dj_database_url.parse(env.str("AGENT_DB_URL"), conn_max_age=0, conn_health_checks=False),
}
DATABASE_ROUTERS = ["dbstack.django.Router"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.str("REDIS_URL")}}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [env.str("REDIS_URL")]}}}
RAGFLOW = {"BASE_URL": env.url("RAGFLOW_URL").geturl(), "API_KEY": env.str("RAGFLOW_API_KEY")}
ROCKETMQ = {"NAMESRV_ADDR": env.str("ROCKETMQ_NAMESRV_ADDR"), "ACCESS_KEY": env.str("ROCKETMQ_ACCESS_KEY", default="")}
"""

COMMANDS = {
    "bare": "pass",
    "dbstack": "import dbstack; dbstack.resolve()",
    "peer": PEER,
}

ENV = {
    "PATH": os.environ.get("PATH", ""),
    "DBSTACK_KUBERNETES": "false",
    "DBSTACK_PROFILE": "development",
    "DATABASE_URL": "postgres://app:pw@db.example:5432/app",
    "AGENT_DB_URL": "postgres://agent:pw@db.example:5432/agent",
    "REDIS_URL": "redis://:pw@cache.example:6379/0",
    "RAGFLOW_URL": "http://ragflow.example:9380",
    "RAGFLOW_API_KEY": "key",
    "ROCKETMQ_NAMESRV_ADDR": "rocketmq.example:9876",
}


def run_once(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=ENV, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    for code in COMMANDS.values():  # warm the page cache and .pyc files
        for _ in range(5):
            run_once(code)
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, code in COMMANDS.items():
            samples[name].append(run_once(code))
    med = {name: statistics.median(v) for name, v in samples.items()}
    print(f"python {platform.python_version()} ({sys.executable}), {runs} runs each, interleaved; ms")
    print(f"{'command':<10} {'median':>8} {'p10':>8} {'p90':>8} {'over bare':>10}")
    for name, values in samples.items():
        q = statistics.quantiles(values, n=10)
        print(f"{name:<10} {med[name]:8.2f} {q[0]:8.2f} {q[-1]:8.2f} {med[name] - med['bare']:10.2f}")
    added, peer_added = med["dbstack"] - med["bare"], med["peer"] - med["bare"]
    print(f"dbstack adds {added:.2f} ms over bare Python; the peer adds {peer_added:.2f} ms; ratio {added / peer_added:.2f}")


if __name__ == "__main__":
    main()
