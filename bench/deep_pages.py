#!/usr/bin/env python3
"""Deep search pages: how long a page far down the results takes, against
the first page of the same search, on an archive already imported.

It starts `newsarchive serve` on DATA, times the first page of
`/api/v1/search?q=QUERY` (`--repeat` times), walks `next_cursor` down to
`--depth` results, then times the page there (`--repeat` times), and prints
both medians and their ratio. Then the same for the search page a reader
sees (`/search?q=QUERY`, ten results with facets, the chart and the
Previous link), first and from the same place (`after=` the cursor there),
with the rendered-page cache off so that every request renders its page.
Nothing is asserted.

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


def fetch(base, params, path="/api/v1/search"):
    url = f"{base}{path}?{urllib.parse.urlencode(params)}"
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as reply:
        raw = reply.read()
    took = time.perf_counter() - started
    if path == "/search":
        text = raw.decode()
        if 'class="article-list results"' not in text:
            raise SystemExit(f"{url} shows no results")
        return took, text
    return took, json.loads(raw)


def median_ms(base, params, repeat, path="/api/v1/search"):
    return statistics.median(fetch(base, params, path)[0] for _ in range(repeat)) * 1000


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
        # No page cache: every search page is rendered, as for a new search.
        server, base = start_server(args.data, 0, os.path.join(work, "server.log"), args.binary,
                                    ["--page-cache-mb", "0"])
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
            page = {"q": args.query}
            if args.sort != "relevance":
                page["sort"] = args.sort
            page_first = median_ms(base, page, args.repeat, "/search")
            page["after"] = body["next_cursor"]
            page_deep = median_ms(base, page, args.repeat, "/search")
        finally:
            server.terminate()
            server.wait()
    print(f"query {args.query!r}, sort {args.sort}: {total:,} matching articles, {args.limit} per page")
    print(f"first page:                 median {first:.1f} ms over {args.repeat}")
    print(f"page after {seen:,} results: median {deep:.1f} ms over {args.repeat}")
    print(f"deep / first:               {deep / first:.2f}x")
    print(f"the walk down ({len(walk)} pages): median {statistics.median(walk):.1f} ms, "
          f"slowest {max(walk):.1f} ms")
    print("search page (/search, 10 results, facets, chart, Previous link):")
    print(f"  first page:                 median {page_first:.1f} ms over {args.repeat}")
    print(f"  page after {seen:,} results: median {page_deep:.1f} ms over {args.repeat}")
    print(f"  deep / first:               {page_deep / page_first:.2f}x")


if __name__ == "__main__":
    main()
