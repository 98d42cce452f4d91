"""The peer of the start-storm benchmark (scripts/bench/storm.sh): N simulated pods start
together, each with its own hvac client (hvac 2.4.0 with its defaults: no retries), its own
login (AppRole or Kubernetes) and the four KV v2 reads of the default layout. A pod whose
login or reads raise has failed (in a cluster it would crash and restart). Every HTTP request
hvac sends is counted. Prints one JSON line with the same fields as the dbstack side.

  storm_peer.py --vault URL --pods N --quota R --auth approle --role-id ID --secret-id S
  storm_peer.py ... --auth kubernetes --k8s-role ROLE --jwt-dir DIR
"""

import argparse
import json
import math
import threading
import time
from collections import Counter

import hvac
import requests

SERVICES = ("supabase", "dragonfly", "ragflow", "rocketmq")


class CountingSession(requests.Session):
    sent = 0
    lock = threading.Lock()

    def request(self, *args, **kwargs):
        with CountingSession.lock:
            CountingSession.sent += 1
        return super().request(*args, **kwargs)


def pod(args, index, barrier, start, results):
    barrier.wait()
    began = time.perf_counter()
    try:
        client = hvac.Client(url=args.vault, session=CountingSession())
        if args.auth == "kubernetes":
            with open(f"{args.jwt_dir}/{index}.jwt") as f:
                client.auth.kubernetes.login(role=args.k8s_role, jwt=f.read().strip())
        else:
            client.auth.approle.login(role_id=args.role_id, secret_id=args.secret_id)
        for service in SERVICES:
            client.secrets.kv.v2.read_secret_version(
                path=f"dbstack/{service}", mount_point="secret", raise_on_deleted_version=True
            )
        results[index] = (True, time.perf_counter() - began, time.perf_counter() - start, None)
    except Exception as error:  # hvac raises its own classes, requests its own
        results[index] = (False, 0.0, 0.0, type(error).__name__)


def percentile(values, p):
    if not values:
        return 0.0
    return values[max(1, math.ceil(p / 100 * len(values))) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vault", required=True)
    parser.add_argument("--pods", type=int, default=100)
    parser.add_argument("--quota", type=float, default=200.0)
    parser.add_argument("--auth", default="approle")
    parser.add_argument("--role-id", default="")
    parser.add_argument("--secret-id", default="")
    parser.add_argument("--k8s-role", default="")
    parser.add_argument("--jwt-dir", default="")
    args = parser.parse_args()

    barrier = threading.Barrier(args.pods + 1)
    results = [None] * args.pods
    start = [0.0]
    threads = []
    shared_start = time.perf_counter()
    for i in range(args.pods):
        t = threading.Thread(target=pod, args=(args, i, barrier, shared_start, results), daemon=True)
        t.start()
        threads.append(t)
    barrier.wait()
    start[0] = time.perf_counter()
    for t in threads:
        t.join()
    ok = sorted(r[1] for r in results if r[0])
    errors = Counter(r[3] for r in results if not r[0])
    minimum = args.pods * (1 + len(SERVICES))
    floor = minimum / args.quota
    finished = [r[2] for r in results if r[0]]
    last = round(max(finished) - (start[0] - shared_start), 2) if finished else None
    print(
        json.dumps(
            {
                "client": "hvac (defaults)",
                "auth": args.auth,
                "pods": args.pods,
                "quota_per_s": args.quota,
                "failed_pods": sum(1 for r in results if not r[0]),
                "errors": dict(errors),
                "last_pod_s": last,
                "floor_s": round(floor, 2),
                "target_last_s": round(1.5 * floor + 2, 2),
                "requests_sent": CountingSession.sent,
                "requests_minimum": minimum,
                "requests_ratio": round(CountingSession.sent / minimum, 3),
                "p50_s": round(percentile(ok, 50), 2),
                "p99_s": round(percentile(ok, 99), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
