#!/usr/bin/env python3
"""Deep search pages: how long a page far down the results takes, against
the first page of the same search, on an archive already imported.

It starts `newsarchive serve` on DATA, times the first page of
`/api/v1/search?q=QUERY` (`--repeat` times), walks `next_cursor` down to
`--depth` results, then times the page there (`--repeat` times), and prints
both medians and their ratio. Nothing is asserted.

    python3 bench/deep_pages.py --data /tmp/bench/w1m/data --query said --depth 100000
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import BINARY, start_server  # noqa: E402


def fetch(base, params):
    url = f"{base}/api/v1/search?{urllib.parse.urlencode(params)}"
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as reply:
        body = json.load(reply)
    return time.perf_counter() - started, body


def median_ms(base, params, repeat):
    return statistics.median(fetch(base, params)[0] for _ in range(repeat)) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="an imported data directory")
    ap.add_argument("--binary", default=BINARY)
    ap.add_argument("--query", default="said")
    ap.add_argument("--sort", default="relevance", choices=["relevance", "newest", "oldest"])
    ap.add_argument("--depth", type=int, default=100_000, help="results before the deep page")
    ap.add_argument("--limit", type=int, default=100, help="results per page")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as work:
        server, base = start_server(args.data, 0, os.path.join(work, "server.log"), args.binary)
        try:
            params = {"q": args.query, "sort": args.sort, "limit": args.limit, "fields": "id"}
            first = median_ms(base, params, args.repeat)
            _, body = fetch(base, params)
            total, seen, walk = body["total"], len(body["results"]), []
            while seen < args.depth and body["next_cursor"]:
                params["cursor"] = body["next_cursor"]
                took, body = fetch(base, params)
                walk.append(took * 1000)
                seen += len(body["results"])
            if seen < args.depth or not body["next_cursor"]:
                raise SystemExit(f"`{args.query}` has only {seen} results shown; ask for less --depth")
            params["cursor"] = body["next_cursor"]
            deep = median_ms(base, params, args.repeat)
        finally:
            server.terminate()
            server.wait()
    print(f"query {args.query!r}, sort {args.sort}: {total:,} matching articles, {args.limit} per page")
    print(f"first page:                 median {first:.1f} ms over {args.repeat}")
    print(f"page after {seen:,} results: median {deep:.1f} ms over {args.repeat}")
    print(f"deep / first:               {deep / first:.2f}x")
    print(f"the walk down ({len(walk)} pages): median {statistics.median(walk):.1f} ms, "
          f"slowest {max(walk):.1f} ms")


if __name__ == "__main__":
    main()
