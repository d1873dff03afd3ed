#!/usr/bin/env python3
"""The research tools at scale: downloads of every match, significant terms
and the comparison chart, on a corpus of bench/corpus.py (seed 1).

Builds the release binary, writes and imports the corpus (or reuses
--work's), starts `serve` on 127.0.0.1 with no rate limits, then measures:

- export: a query of about a tenth of the archive, streamed as CSV and as
  NDJSON through /api/v1/search/export (every version) and as CSV one per
  story; rows/s read by one client, that the row count equals
  X-Total-Count (and the search's `total`), and the server's resident
  memory during a small and a large export. The peer, in the same run:
  Datasette streaming the same number of rows of the same SQLite table as
  CSV (`_stream=on`), from the same file.
- searches while an export runs: wrk on /api/v1/search for --seconds alone,
  then again while one client downloads exports one after another.
- significant terms: one client, the corpus's queries, /api/v1/search with
  and without `terms=20`; and the search page, plain and with `terms=on` (which
  lists 12 terms).
- the comparison chart: /compare with three searches against /search.

    python3 bench/research.py [--articles 1000000] [--seconds 10] [--work DIR]

Needs wrk (installed from Debian when missing) and Datasette (from PyPI when
missing). Not part of CI. Deletes its corpus and archive unless --work is
given.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import ROOT, ensure_wrk, log, start_server, wait_ready, write_corpus  # noqa: E402
from nodes import free_port, wrk  # noqa: E402

BINARY = os.path.join(ROOT, "target", "release", "newsarchive")
# Words tried for the export's query: the one whose matches come nearest a
# tenth of the archive is used.
CANDIDATES = ["said", "government", "people", "year", "new", "president", "police",
              "world", "country", "time", "state", "minister", "last", "week", "city"]
# Words of fewer matches for the small download (a tenth of the large one).
SMALL_CANDIDATES = ["flood", "festival", "satellite", "drought", "tennis"]


def get(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as reply:
        body = reply.read()
    return time.perf_counter() - started, body


def rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stream(url, limit_rows=None):
    """Reads a download to its end (or to `limit_rows` lines); returns
    seconds, rows (lines after a CSV header), bytes and X-Total-Count."""
    started = time.perf_counter()
    lines = size = 0
    with urllib.request.urlopen(url, timeout=3600) as reply:
        total = reply.headers.get("x-total-count")
        while True:
            chunk = reply.read(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            lines += chunk.count(b"\n")
            if limit_rows and lines > limit_rows:
                break
    return time.perf_counter() - started, lines, size, total


def export_runs(base, query, fmt, all_versions, runs=3):
    params = {"q": query, "format": fmt}
    if all_versions:
        params["all_versions"] = "true"
    url = f"{base}/api/v1/search/export?{urllib.parse.urlencode(params)}"
    out = []
    for _ in range(runs):
        seconds, lines, size, total = stream(url)
        rows = lines - (1 if fmt == "csv" else 0)
        out.append({"seconds": round(seconds, 3), "rows": rows, "bytes": size,
                    "x_total_count": int(total), "rows_per_s": round(rows / seconds)})
    best = statistics.median(r["rows_per_s"] for r in out)
    return {"runs": out, "median_rows_per_s": best,
            "rows_equal_total": all(r["rows"] == r["x_total_count"] for r in out)}


def peak_rss_during(pid, action):
    """Runs `action` while sampling the server's resident memory; returns
    (result, resident KiB before, peak KiB during)."""
    before = rss_kib(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.02)
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = action()
    finally:
        done.set()
        sampler.join()
    return result, before, peak[0]


def ensure_datasette():
    if shutil.which("datasette"):
        return
    log("installing datasette from PyPI")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "datasette"], check=True)


def datasette_peer(database, rows, runs=3):
    """Datasette streaming `rows` rows of the articles table as CSV."""
    port = free_port()
    server = subprocess.Popen(
        ["datasette", "serve", database, "--port", str(port), "--host", "127.0.0.1",
         "--setting", "sql_time_limit_ms", "600000", "--setting", "max_csv_mb", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    name = os.path.splitext(os.path.basename(database))[0]
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                get(f"{base}/-/versions.json")
                break
            except OSError:
                time.sleep(0.3)
        columns = ["id", "published_at", "headline", "source_name", "section", "language",
                   "url", "word_count", "story_id"]
        query = urllib.parse.urlencode([("_stream", "on"), ("_size", "max")]
                                       + [("_col", c) for c in columns])
        url = f"{base}/{name}/articles.csv?{query}"
        out = []
        for _ in range(runs):
            seconds, lines, size, _ = stream(url, limit_rows=rows)
            got = min(lines - 1, rows)
            out.append({"seconds": round(seconds, 3), "rows": got,
                        "rows_per_s": round(got / seconds)})
        version = json.loads(get(f"{base}/-/versions.json")[1])["datasette"]["version"]
        return {"runs": out, "median_rows_per_s": statistics.median(r["rows_per_s"] for r in out),
                "version": version, "columns": columns}
    finally:
        server.terminate()
        server.wait()


def timings(base, paths):
    out = []
    for path in paths:
        seconds, _ = get(base + path)
        out.append(seconds * 1000)
    out.sort()
    return {"n": len(out), "p50_ms": round(statistics.median(out), 1),
            "p95_ms": round(out[int(0.95 * (len(out) - 1))], 1),
            "p99_ms": round(out[int(0.99 * (len(out) - 1))], 1), "max_ms": round(out[-1], 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--work", help="keep (and reuse) the corpus and archive here")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "research.json"))
    args = parser.parse_args()
    ensure_wrk()
    ensure_datasette()
    log("building the release binary")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True,
                   stdin=subprocess.DEVNULL)
    work = args.work or tempfile.mkdtemp(prefix="newsarchive-research-")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "data")
    results = {"articles": args.articles}
    try:
        corpus = os.path.join(work, "corpus.ndjson")
        queries_file = os.path.join(work, "queries.json")
        if not os.path.exists(queries_file):
            corpus, queries_file = write_corpus(work, args.articles)
        if not os.path.exists(os.path.join(data, "newsarchive.sqlite3")):
            log("importing the corpus")
            started = time.time()
            subprocess.run([BINARY, "--data", data, "import", "--quiet", corpus], check=True,
                           stdout=subprocess.DEVNULL)
            results["import_seconds"] = round(time.time() - started, 1)
        with open(queries_file, encoding="utf-8") as f:
            queries = json.load(f)["queries"]
        port = free_port()
        server, base = start_server(data, port, os.path.join(work, "server.log"), BINARY,
                                    ("--download-rate-limit", "0", "--no-follow"))
        try:
            wait_ready(base, timeout=3600)
            measure(base, server.pid, data, queries, args, results)
        finally:
            server.terminate()
            server.wait()
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))


def measure(base, pid, data, queries, args, results):
    totals = {}
    for word in CANDIDATES + SMALL_CANDIDATES:
        _, body = get(f"{base}/api/v1/search?q={word}&limit=1&fields=id&all_versions=true")
        totals[word] = json.loads(body)["total"]
    target = args.articles / 10
    query = min(CANDIDATES, key=lambda w: abs(totals[w] - target))
    results["export_query"] = {"q": query, "total": totals[query]}
    log(f"export of '{query}': {totals[query]} matches")

    small = min(totals, key=lambda w: abs(totals[w] - target / 10))
    _, before_small, peak_small = peak_rss_during(
        pid, lambda: stream(f"{base}/api/v1/search/export?q={small}&format=csv&all_versions=true"))
    csv_all, before, peak = peak_rss_during(
        pid, lambda: export_runs(base, query, "csv", True))
    results["export"] = {
        "csv_every_version": csv_all,
        "ndjson_every_version": export_runs(base, query, "ndjson", True),
        "csv_one_per_story": export_runs(base, query, "csv", False),
        "memory": {
            "small": {"q": small, "rows": totals[small], "rss_before_mib": round(before_small / 1024, 1),
                      "rss_peak_mib": round(peak_small / 1024, 1)},
            "large": {"q": query, "rows": totals[query], "rss_before_mib": round(before / 1024, 1),
                      "rss_peak_mib": round(peak / 1024, 1)},
        },
    }
    database = os.path.join(data, "newsarchive.sqlite3")
    log("the peer: datasette streaming as many rows as CSV")
    results["export"]["peer_datasette_csv"] = datasette_peer(database, totals[query])
    ours = results["export"]["csv_every_version"]["median_rows_per_s"]
    peer = results["export"]["peer_datasette_csv"]["median_rows_per_s"]
    results["export"]["ratio_to_datasette"] = round(ours / peer, 2)

    search_paths = [f"/api/v1/search?{urllib.parse.urlencode({'q': q['q']})}&limit=10"
                    for q in queries]
    log("searches alone, then while exports run")
    alone = wrk(base, search_paths, args.seconds)
    stop = threading.Event()
    exports = [0]

    def export_loop():
        while not stop.is_set():
            stream(f"{base}/api/v1/search/export?q={query}&format=csv&all_versions=true")
            exports[0] += 1
    loop = threading.Thread(target=export_loop)
    loop.start()
    during = wrk(base, search_paths, args.seconds)
    stop.set()
    loop.join()
    results["searches_during_export"] = {"alone": alone, "during": during,
                                         "exports_finished": exports[0],
                                         "ratio_per_s": round(during["per_s"] / alone["per_s"], 2)}

    log("significant terms")
    sample = queries[:200]
    plain = [f"/api/v1/search?{urllib.parse.urlencode({'q': q['q']})}&limit=10" for q in sample]
    with_terms = [p + "&terms=20" for p in plain]
    pages = [f"/search?{urllib.parse.urlencode({'q': q['q']})}" for q in sample]
    timings(base, plain[:20])  # warm the caches alike for both
    results["terms"] = {"search": timings(base, plain), "search_with_terms_20": timings(base, with_terms),
                        "search_page": timings(base, pages),
                        "search_page_with_terms": timings(base, [p + "&terms=on" for p in pages])}
    t = results["terms"]
    t["ratio_p50"] = round(t["search_with_terms_20"]["p50_ms"] / t["search"]["p50_ms"], 2)
    t["ratio_p95"] = round(t["search_with_terms_20"]["p95_ms"] / t["search"]["p95_ms"], 2)

    log("comparison chart")
    words = [q["q"] for q in queries if " " not in q["q"]][:60]
    triples = [words[i:i + 3] for i in range(0, len(words) - 2, 3)]
    compare = [f"/compare?{urllib.parse.urlencode([('q', w) for w in t3])}" for t3 in triples]
    single = [f"/api/v1/search?{urllib.parse.urlencode({'q': t3[0]})}&limit=1&histogram=auto"
              for t3 in triples]
    results["compare"] = {"compare_3_searches": timings(base, compare),
                          "one_search_with_histogram": timings(base, single)}


if __name__ == "__main__":
    main()
