#!/usr/bin/env python3
"""Plays the seed's tank:latest image (the tankwar game with the OKG sidecar).

Answers GET on port 8080 of the pod's "localhost" with the server's state: None, Allocated or
WaitToBeDeleted. The test changes a server's state by writing state/<pod name>; without that
file the state is None. In the node simulator every pod's /etc/hosts makes "localhost" the
pod's own IP, so each pod's game listens on its own address.
"""
import http.server
import os
import socket

STATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "state")
POD = os.environ.get("HOSTNAME", "")


def state():
    try:
        with open(os.path.join(STATE_DIR, POD), encoding="utf-8") as f:
            return f.read().strip() or "None"
    except OSError:
        return "None"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = state().encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def main():
    addr = socket.gethostbyname("localhost")
    server = http.server.ThreadingHTTPServer((addr, 8080), Handler)
    print(f"tankwar: serving the player state on {addr}:8080", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
