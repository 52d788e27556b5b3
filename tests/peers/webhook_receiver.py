#!/usr/bin/env python3
"""A webhook receiver that verifies Porttivahti's signed events with the
Standard Webhooks reference library (standardwebhooks), not our code.

Usage: webhook_receiver.py SECRET [FAIL_FIRST]
Prints `listening <url>` first, then one JSON object per request:
{"verified": true, "id": …, "type": …, "body": {…}} or
{"verified": false, "error": …}. Answers 204 to a verified event, 400 to
one that does not verify, and 503 to the first FAIL_FIRST requests (to
show retries). Exits when its standard input closes.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET = sys.argv[1]
FAIL_FIRST = int(sys.argv[2]) if len(sys.argv) > 2 else 0
lock = threading.Lock()
seen = {"n": 0}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        with lock:
            seen["n"] += 1
            refuse = seen["n"] <= FAIL_FIRST
        if refuse:
            print(json.dumps({"refused_on_purpose": self.headers.get("webhook-id")}), flush=True)
            self.send_response(503)
            self.end_headers()
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            payload = Webhook(SECRET).verify(body, headers)
        except WebhookVerificationError as e:
            print(json.dumps({"verified": False, "error": str(e)}), flush=True)
            self.send_response(400)
            self.end_headers()
            return
        print(
            json.dumps(
                {
                    "verified": True,
                    "id": headers.get("webhook-id"),
                    "type": payload.get("type"),
                    "body": payload,
                }
            ),
            flush=True,
        )
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"listening http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
