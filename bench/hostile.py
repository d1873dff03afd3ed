#!/usr/bin/env python3
"""Hostile input: what a page, a feed, an import body or a client built to
hurt the server costs it, measured against a real server on 127.0.0.1.

It starts `newsarchive serve` on an empty archive with a token and sends:
  ordinary-page a small article page, for what reading any page costs
  deep-page     a 440 KB page of 40,000 nested <div> to POST /api/v1/import
  deep-quote    an RSS item of 32,000 nested <blockquote>
  many-divs     an RSS item of 150,000 nested <div>
  bad-ndjson    2 MB of NDJSON lines that are not articles
  non-readers   50 clients sending a request every 50 ms, never reading
and prints, for each, the status, the time taken, the answer's size, the
server's peak memory, whether it is still alive and, for the non-readers,
how many of them the server still holds after `--hold` seconds. Nothing is
asserted; run it with `--binary` on two builds to compare them.

    python3 bench/hostile.py --binary target/release/newsarchive
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import BINARY, start_server  # noqa: E402


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def post(base, token, body, content_type, timeout):
    request = urllib.request.Request(
        f"{base}/api/v1/import", data=body, method="POST",
        headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            status, answer = reply.status, reply.read()
    except urllib.error.HTTPError as e:
        status, answer = e.code, e.read()
    except OSError as e:
        status, answer = f"no answer ({e.__class__.__name__})", b""
    return status, time.perf_counter() - started, answer


def nested(tag, depth, text="A story nobody should have to read this deep."):
    return f"<{tag}>" * depth + f"<p>{text}</p>" + f"</{tag}>" * depth


def page(body):
    story = "<p>" + "The council met on Tuesday to argue about the harbour. " * 8 + "</p>"
    return (f"<!doctype html><html><head><title>Deep</title></head><body><article>"
            f"<h1>Deep</h1>{story * 3}{body}</article></body></html>")


def rss(item_html):
    escaped = item_html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile</title>'
        "<link>http://127.0.0.1/</link><description>x</description>"
        "<item><title>Deep</title><link>http://127.0.0.1/deep</link>"
        f"<description>{escaped}</description></item></channel></rss>"
    ).encode()


def non_readers(address, clients, hold):
    """Opens `clients` connections that each send a request for the search
    help page (an 11 KB page) every 50 ms, whole, and never read an answer;
    returns how many the server still holds after `hold` seconds."""
    host, port = address.removeprefix("http://").rsplit(":", 1)
    request = f"GET /search/help HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    sockets = []
    for _ in range(clients):
        s = socket.create_connection((host, int(port)))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        sockets.append([s, b""])
    deadline = time.time() + hold
    while time.time() < deadline:
        for entry in sockets:
            s, outbox = entry
            if not outbox:
                outbox = request
            try:
                sent = s.send(outbox)
                outbox = outbox[sent:]
            except (BlockingIOError, OSError):
                pass
            entry[1] = outbox
        time.sleep(0.05)
    # The server's side of each connection, as the kernel sees it: those
    # it still holds open are established (the client never closed any).
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    held = len([line for line in out.splitlines() if line.strip()])
    for s, _ in sockets:
        s.close()
    return held


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=BINARY)
    ap.add_argument("--hold", type=int, default=60, help="seconds the non-readers keep sending")
    ap.add_argument("--timeout", type=int, default=180, help="seconds to wait for one answer")
    args = ap.parse_args()

    cases = [
        ("ordinary-page", page("<p>One more paragraph.</p>").encode(), "text/html"),
        ("deep-page", page(nested("div", 40_000)).encode(), "text/html"),
        ("deep-quote", rss(nested("blockquote", 32_000)), "application/rss+xml"),
        ("many-divs", rss(nested("div", 150_000)), "application/rss+xml"),
        ("bad-ndjson", b'{"headline": 1}\n' * (2_000_000 // 16), "application/x-ndjson"),
    ]
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "data")
        token = subprocess.run(
            [args.binary, "--data", data, "token", "create", "--name", "bench", "--scope", "admin"],
            capture_output=True, text=True)
        if token.returncode != 0:  # a build without scopes
            token = subprocess.run([args.binary, "--data", data, "token", "create", "--name", "bench"],
                                   capture_output=True, text=True, check=True)
        token = token.stdout.split()[0]
        extra = ["--no-follow"]
        server, base = start_server(data, 0, os.path.join(work, "server.log"), args.binary, extra)
        try:
            print("| case | body | status | seconds | answer | server peak RSS | server alive |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            for name, body, content_type in cases:
                if server.poll() is not None:
                    server, base = start_server(data, 0, os.path.join(work, "server.log"),
                                                args.binary, extra)
                status, took, answer = post(base, token, body, content_type, args.timeout)
                time.sleep(0.5)
                alive = server.poll() is None
                peak = f"{peak_rss_mb(server.pid):.0f} MB" if alive else "-"
                print(f"| {name} | {len(body) / 1e3:.0f} KB | {status} | {took:.2f} | "
                      f"{len(answer) / 1e3:.1f} KB | {peak} | {'yes' if alive else 'no: it died'} |",
                      flush=True)
            if server.poll() is not None:
                server, base = start_server(data, 0, os.path.join(work, "server.log"),
                                            args.binary, extra)
            held = non_readers(base, 50, args.hold)
            print(f"\nnon-readers: {held} of 50 clients still held after {args.hold} s of "
                  "sending requests without reading")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
