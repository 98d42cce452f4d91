#!/usr/bin/env python3
"""STAND-IN for the Kubernetes API's TokenReview endpoint (DESIGN.md allows it: no Kubernetes
API runs on the test machines). OpenBao's Kubernetes auth POSTs the client's service-account JWT
to `/apis/authentication.k8s.io/v1/tokenreviews`; this server answers like the API server would
for a valid token, deriving the user from the JWT's classic service-account claims.

It does NOT verify signatures. A token is refused (`authenticated: false`) when it is not a
three-part JWT, lacks the service-account claims, has an `exp` in the past, or its `jti`
is listed in `--revoked`.

Usage: tokenreview.py [--port 0] [--revoked JTI,...]
Prints `listening on <port>` on the first line of stdout, then serves until killed.
Requests are logged to stderr.
"""

import argparse
import base64
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = "/apis/authentication.k8s.io/v1/tokenreviews"
NS = "kubernetes.io/serviceaccount/namespace"
NAME = "kubernetes.io/serviceaccount/service-account.name"
UID = "kubernetes.io/serviceaccount/service-account.uid"


def claims(token):
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, json.JSONDecodeError):
        return None


def review(token, revoked):
    c = claims(token)
    if not isinstance(c, dict) or not all(k in c for k in (NS, NAME, UID)):
        return {"authenticated": False, "error": "invalid bearer token"}
    if "exp" in c and float(c["exp"]) < time.time():
        return {"authenticated": False, "error": "token has expired"}
    if c.get("jti") in revoked:
        return {"authenticated": False, "error": "token has been invalidated"}
    return {
        "authenticated": True,
        "user": {
            "username": f"system:serviceaccount:{c[NS]}:{c[NAME]}",
            "uid": c[UID],
            "groups": ["system:serviceaccounts", f"system:serviceaccounts:{c[NS]}"],
        },
    }


def handler(revoked):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server naming)
            if self.path.split("?")[0] != PATH:
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                token = body["spec"]["token"]
            except (ValueError, KeyError, TypeError):
                self.send_error(400, "expected a TokenReview with spec.token")
                return
            answer = {
                "kind": "TokenReview",
                "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"creationTimestamp": None},
                "spec": {"token": token},
                "status": review(token, revoked),
            }
            data = json.dumps(answer).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            sys.stderr.write("tokenreview stand-in: " + fmt % args + "\n")

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--revoked", default="", help="comma-separated jti claims to refuse")
    args = parser.parse_args()
    revoked = {j for j in args.revoked.split(",") if j}
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(revoked))
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
