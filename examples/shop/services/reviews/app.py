#!/usr/bin/env python3
"""The shop's reviews service: plain Python (standard library only), unaware of TLS, tokens or the
mesh. It runs behind `rampart sidecar` (see ../../rampart.yaml, `services.reviews`), which:

- accepts only mTLS from the callers rampart.yaml allows, with an internal token for this service;
- forwards here with the verified identity in x-rampart-* headers (any the caller sent are removed)
  and a per-start proof in x-rampart-sidecar, which this process checks against
  RAMPART_SIDECAR_SECRET, so a local process calling this port directly is refused;
- relays the calls this process makes to other services from its egress port (RAMPART_EGRESS_URL),
  given RAMPART_EGRESS_SECRET and the Authorization header of the request being served.

Routes: GET /reviews/{sku} and POST /reviews (through the gateway), GET /ratings?skus=A,B (for orders),
GET /whoami (for orders' tests: what the sidecar said about the caller).
"""

import hmac
import json
import os
import re
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SKU = re.compile(r"^[A-Z0-9-]{1,32}$")
MAX_BODY = 8192


def sidecar_variables():
    """What the sidecar tells this process. Under `rampart up` it is all in the environment; on
    Kubernetes, where this process runs in a container of its own beside the sidecar, the per-pod
    secrets are in the file RAMPART_SIDECAR_ENV_FILE names (NAME=value lines, in a directory the two
    containers share, readable by this container only through the pod's group)."""
    variables = dict(os.environ)
    path = os.environ.get("RAMPART_SIDECAR_ENV_FILE", "")
    if path and "RAMPART_SIDECAR_SECRET" not in variables:
        with open(path, encoding="utf-8") as file:
            for line in file:
                name, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    variables.setdefault(name, value)
    return variables


_variables = sidecar_variables()
SIDECAR_SECRET = _variables.get("RAMPART_SIDECAR_SECRET", "")
EGRESS_URL = _variables.get("RAMPART_EGRESS_URL", "")
EGRESS_SECRET = _variables.get("RAMPART_EGRESS_SECRET", "")

_lock = threading.Lock()
_reviews = {}  # sku -> list of {"author", "rating", "text"}


def identity(headers):
    """What the sidecar verified: only x-rampart-* headers, which it alone sets."""
    return {
        "caller": headers.get("x-rampart-caller", ""),
        "subject": headers.get("x-rampart-subject", ""),
        "kind": headers.get("x-rampart-subject-kind", ""),
        "scopes": [s for s in headers.get("x-rampart-scopes", "").split(" ") if s],
    }


def stock_of(sku, authorization, request_id):
    """Asks the stock service (Java, behind its own sidecar) through this sidecar's egress port."""
    request = urllib.request.Request(
        f"{EGRESS_URL}/stock/stock/{sku}",
        headers={
            "x-rampart-egress-secret": EGRESS_SECRET,
            "authorization": authorization,
            "x-request-id": request_id,
            "accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


class Handler(BaseHTTPRequestHandler):
    server_version = "reviews"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # one line per request on stderr (the sidecar's log)
        sys.stderr.write("reviews: %s\n" % (format % args))

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def from_sidecar(self):
        proof = self.headers.get("x-rampart-sidecar", "")
        if SIDECAR_SECRET and hmac.compare_digest(proof.encode(), SIDECAR_SECRET.encode()):
            return True
        # Not through the sidecar: nothing of the headers can be believed.
        self.send_json(401, {"error": "requests come through the sidecar"})
        return False

    def do_GET(self):
        if not self.from_sidecar():
            return
        url = urlsplit(self.path)
        who = identity(self.headers)
        if url.path == "/whoami":
            rampart = {k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-rampart-")}
            rampart.pop("x-rampart-sidecar", None)
            counts = {}
            for k in self.headers.keys():
                counts[k.lower()] = counts.get(k.lower(), 0) + 1
            trace = self.headers.get("traceparent", "")
            return self.send_json(200, {"identity": who, "headers": rampart, "counts": counts, "traceparent": trace})
        if url.path == "/ratings":
            skus = [s for s in parse_qs(url.query).get("skus", [""])[0].split(",") if SKU.match(s)]
            with _lock:
                ratings = {
                    sku: {
                        "average": round(sum(r["rating"] for r in _reviews[sku]) / len(_reviews[sku]), 2),
                        "count": len(_reviews[sku]),
                    }
                    for sku in skus
                    if _reviews.get(sku)
                }
            return self.send_json(200, {"ratings": ratings})
        match = re.fullmatch(r"/reviews/([A-Z0-9-]{1,32})", url.path)
        if match:
            with _lock:
                reviews = list(_reviews.get(match.group(1), []))
            return self.send_json(200, {"sku": match.group(1), "reviews": reviews})
        self.send_json(404, {"error": "not found"})

    def do_POST(self):
        if not self.from_sidecar():
            return
        if urlsplit(self.path).path != "/reviews":
            return self.send_json(404, {"error": "not found"})
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            return self.send_json(413, {"error": "too large"})
        try:
            body = json.loads(self.rfile.read(length) or b"null")
            sku, rating, text = body["sku"], body["rating"], body.get("text", "")
        except (ValueError, KeyError, TypeError):
            return self.send_json(400, {"error": "expected {sku, rating, text}"})
        who = identity(self.headers)
        status, stock = stock_of(sku, self.headers.get("authorization", ""), self.headers.get("x-request-id", ""))
        if status == 404:
            return self.send_json(422, {"error": "we do not sell this product"})
        if status != 200:
            return self.send_json(502, {"error": f"stock answered {status}"})
        review = {"author": who["subject"], "rating": rating, "text": text}
        with _lock:
            _reviews.setdefault(sku, []).append(review)
        self.send_json(201, {"sku": sku, "review": review, "available": stock.get("available"), "by": who})


def main():
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    if not SIDECAR_SECRET:
        sys.exit("reviews: RAMPART_SIDECAR_SECRET is not set: run me with `rampart up`, behind the sidecar")
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    sys.stderr.write(f"reviews: listening on http://{host}:{port}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
