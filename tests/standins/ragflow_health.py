#!/usr/bin/env python3
"""STAND-IN for RAGflow's HTTP health endpoint (RAGflow itself cannot run on the test machines).

DESIGN.md allows exactly this stand-in. It answers like RAGflow's
`GET /api/v1/system/healthz` (infiniflow/ragflow: no authentication, 200 with
`{"db","redis","doc_engine","storage","status"}` all "ok" when healthy, 500 with the failing
components "nok" otherwise) and `GET /api/v1/system/ping` (`pong`). Everything else is 404.

Test aids (not RAGflow behaviour):
  --unhealthy NAME   report component NAME as "nok" (HTTP 500), repeatable
  --require-key KEY  answer 401 unless `Authorization: Bearer KEY` is sent, to prove the
                     caller sends its API key

It listens on 127.0.0.1:PORT (0 = a free port) and prints the port on stdout once ready.
"""

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMPONENTS = ("db", "redis", "doc_engine", "storage")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--unhealthy", action="append", default=[], choices=COMPONENTS)
    parser.add_argument("--require-key", default=None)
    args = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        server_version = "ragflow-health-standin/1"

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if args.require_key is not None:
                if self.headers.get("Authorization") != f"Bearer {args.require_key}":
                    self._send(401, b'{"code":401,"message":"unauthorized"}', "application/json")
                    return
            path = self.path.split("?", 1)[0]
            if path == "/api/v1/system/healthz":
                result = {name: ("nok" if name in args.unhealthy else "ok") for name in COMPONENTS}
                healthy = not args.unhealthy
                result["status"] = "ok" if healthy else "nok"
                if not healthy:
                    result["_meta"] = {name: {"error": "stand-in: marked unhealthy"} for name in args.unhealthy}
                self._send(200 if healthy else 500, json.dumps(result).encode(), "application/json")
            elif path == "/api/v1/system/ping":
                self._send(200, b"pong", "text/plain")
            else:
                self._send(404, b'{"code":404,"message":"not found"}', "application/json")

        def log_message(self, format: str, *log_args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
