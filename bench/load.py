#!/usr/bin/env python3
"""Load test: searches and page views at full speed while a bulk import runs.

Builds the release binary, imports a first half of a generated corpus, starts
`newsarchive serve`, and drives it with wrk over a mix of HTML search, API
search, article, home and archive pages: first with nothing else running (the
quiet peer), then while `newsarchive import` writes the second half. Reports
requests per second and p50/p90/p99 latency for both runs and their ratio, and
fails if any request errs (a non-2xx/3xx answer, a socket error or a timeout).

    python3 bench/load.py [--articles 40000] [--seconds 30] [--connections 16]

Needs wrk (installed from Debian's packages when missing) and bench/corpus.py.
Not part of CI: it takes minutes and measures the machine it runs on.
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "newsarchive")


def log(message):
    print(message, file=sys.stderr, flush=True)


def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("installing wrk from Debian's packages")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True,
                   stdout=subprocess.DEVNULL)


def start_server(data, port, log_path, binary=BINARY, extra=()):
    """Starts the server with its log in a file (a pipe nobody reads would
    fill up and stall it) and returns it with its address."""
    log_file = open(log_path, "w", encoding="utf-8")
    server = subprocess.Popen(
        [binary, "--data", data, "serve", "--listen", f"127.0.0.1:{port}",
         "--search-rate-limit", "0", "--write-rate-limit", "0", *extra],
        stdout=subprocess.DEVNULL, stderr=log_file,
        env={**os.environ, "RUST_LOG": "warn,newsarchive::web=info"})
    deadline = time.time() + 60
    while time.time() < deadline:
        with open(log_path, encoding="utf-8") as f:
            match = re.search(r"listening on (http://\S+)", f.read())
        if match:
            return server, match.group(1)
        if server.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"the server did not start; see {log_path}")


def write_corpus(work, count):
    """Writes a corpus of `count` articles (seed 1) and its queries into
    `work` with corpus.py; returns both paths."""
    corpus = os.path.join(work, "corpus.ndjson")
    queries = os.path.join(work, "queries.json")
    log(f"writing a corpus of {count} articles")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "corpus.py"),
                    "--count", str(count), "--seed", "1", "--out", corpus,
                    "--queries", queries], check=True, stdout=subprocess.DEVNULL)
    return corpus, queries


def wait_ready(base, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz") as reply:
                if json.load(reply)["index_lag"] == 0:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the index did not catch up")


def paths_for(queries, articles, years, rng):
    """A shuffled mix: 40% HTML search, 20% API search, 20% article pages
    (the id's permalink redirect and the API's JSON), 10% home, 10% archive years."""
    paths = []
    for n in range(2000):
        q = rng.choice(queries)
        query = urllib.parse.urlencode({"q": q["q"]})
        article = rng.randint(1, articles)
        kind = n % 10
        if kind < 4:
            paths.append(f"/search?{query}")
        elif kind < 6:
            paths.append(f"/api/v1/search?{query}&limit=10")
        elif kind == 6:
            paths.append(f"/articles/{article}")
        elif kind == 7:
            paths.append(f"/api/v1/articles/{article}")
        elif kind == 8:
            paths.append("/")
        else:
            paths.append(f"/archive/{rng.choice(years)}")
    rng.shuffle(paths)
    return paths


def wrk(base, paths_file, seconds, connections, timeout=10):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", f"{timeout}s",
         "-s", os.path.join(ROOT, "bench", "load.lua"), base],
        capture_output=True, text=True, check=True,
        env={**os.environ, "LOAD_PATHS": paths_file})
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["errors"] = sum(result[k] for k in (
        "connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=40_000,
                        help="corpus size; half is imported before, half during the load")
    parser.add_argument("--seconds", type=int, default=30, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keep", help="keep the work folder here")
    args = parser.parse_args()

    ensure_wrk()
    log("building the release binary")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    work = args.keep or tempfile.mkdtemp(prefix="newsarchive-load-")
    os.makedirs(work, exist_ok=True)
    corpus, queries_file = write_corpus(work, args.articles)
    half = args.articles // 2
    first, second = os.path.join(work, "first.ndjson"), os.path.join(work, "second.ndjson")
    with open(corpus, encoding="utf-8") as source, \
            open(first, "w", encoding="utf-8") as a, open(second, "w", encoding="utf-8") as b:
        for n, line in enumerate(source):
            (a if n < half else b).write(line)
    data = os.path.join(work, "data")
    shutil.rmtree(data, ignore_errors=True)
    log(f"importing the first {half} articles")
    started = time.time()
    subprocess.run([BINARY, "--data", data, "import", first], check=True,
                   stdout=subprocess.DEVNULL)
    first_import = time.time() - started

    with open(queries_file, encoding="utf-8") as f:
        queries = json.load(f)["queries"]
    rng = random.Random(1)
    paths = paths_for(queries, half, [str(y) for y in range(2006, 2026)], rng)
    paths_file = os.path.join(work, "paths.txt")
    with open(paths_file, "w", encoding="utf-8") as f:
        f.write("\n".join(paths) + "\n")

    server, base = start_server(data, 0, os.path.join(work, "server.log"))
    try:
        wait_ready(base)
        log(f"quiet run: {args.seconds} s, {args.connections} connections")
        quiet = wrk(base, paths_file, args.seconds, args.connections)
        log(f"loaded run: the same, while importing {args.articles - half} articles")
        importer = subprocess.Popen([BINARY, "--data", data, "import", second],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.time()
        loaded = wrk(base, paths_file, args.seconds, args.connections)
        importer_status = importer.wait()
        second_import = time.time() - started
        wait_ready(base)
        with urllib.request.urlopen(base + "/healthz") as reply:
            health = json.load(reply)
    finally:
        server.terminate()
        server.wait()

    summary = {
        "articles_before": half,
        "articles_after": health["articles"],
        "first_import_seconds": round(first_import, 1),
        "second_import_seconds": round(second_import, 1),
        "import_exit_status": importer_status,
        "connections": args.connections,
        "seconds": args.seconds,
        "quiet": quiet,
        "loaded": loaded,
        "p99_ratio_loaded_to_quiet": round(loaded["p99_us"] / max(quiet["p99_us"], 1), 2),
        "rps_ratio_loaded_to_quiet": round(loaded["rps"] / quiet["rps"], 2),
    }
    print(json.dumps(summary, indent=2))
    for name, run in (("quiet", quiet), ("during import", loaded)):
        log(f"{name}: {run['rps']:.0f} req/s, p50 {run['p50_us']/1000:.1f} ms, "
            f"p90 {run['p90_us']/1000:.1f} ms, p99 {run['p99_us']/1000:.1f} ms, "
            f"errors {run['errors']}")
    if quiet["errors"] or loaded["errors"] or importer_status != 0:
        raise SystemExit("errors during the load test")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
