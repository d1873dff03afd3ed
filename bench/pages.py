#!/usr/bin/env python3
"""One article page and the home page: newsarchive against nginx serving the
same HTML, saved as a file, in the same run.

    python3 bench/pages.py [--count 3000] [--seconds 10] [--rounds 3]
                           [--binary PATH] [--results FILE]

Imports a corpus of `--count` articles (bench/corpus.py, seed 1) into a fresh
archive, starts `newsarchive serve` (release build), fetches one seeded
article page and the home page and saves both as files for nginx (2 workers,
access log off, keep-alive). Then, `--rounds` times, wrk (2 threads, 16
connections) asks each server for the one page for `--seconds`: newsarchive
and nginx one after the other, so both meet the same machine. Prints
requests/s per round, the medians and ours ÷ nginx, and removes its work
folder. Nothing is asserted about speed; it fails only if a request fails or
the two servers' pages differ.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402
import run  # noqa: E402


def wrk_one(base, path, seconds, work, name):
    paths_file = os.path.join(work, f"paths-{name}.txt")
    with open(paths_file, "w", encoding="utf-8") as f:
        f.write(path + "\n")
    result = load.wrk(base, paths_file, seconds, 16)
    if result["errors"]:
        raise SystemExit(f"{name}: {result['errors']} failed requests")
    return {"rps": result["rps"], "p50_ms": result["p50_us"] / 1000,
            "p99_ms": result["p99_us"] / 1000}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--binary", help="newsarchive binary (default: build the release one)")
    parser.add_argument("--results", help="write every figure here as JSON")
    args = parser.parse_args()

    run.ensure_tools()
    binary = args.binary
    if not binary:
        load.log("building the release binary")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=load.ROOT, check=True)
        binary = load.BINARY
    binary = os.path.abspath(binary)
    work = tempfile.mkdtemp(prefix="newsarchive-pages-")
    # nginx's workers run as another user when it is started as root.
    os.chmod(work, 0o755)
    server = nginx = None
    try:
        corpus, _ = load.write_corpus(work, args.count)
        data = os.path.join(work, "data")
        subprocess.run([binary, "--data", data, "import", corpus], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server, base = load.start_server(data, run.free_port(), os.path.join(work, "server.log"),
                                         binary)
        load.wait_ready(base)
        article_id = 1 + (args.count * 7919) % args.count
        with urllib.request.urlopen(f"{base}/articles/{article_id}") as reply:
            article_html = reply.read()
            article_path = urllib.parse.urlparse(reply.url).path
        with urllib.request.urlopen(base + "/") as reply:
            home_html = reply.read()
        root = os.path.join(work, "static")
        os.makedirs(root)
        for name, html in (("article.html", article_html), ("home.html", home_html)):
            with open(os.path.join(root, name), "wb") as f:
                f.write(html)
        nginx, static_base = run.start_nginx(work, root)
        for ours, theirs in ((article_path, "/article.html"), ("/", "/home.html")):
            with urllib.request.urlopen(base + ours) as a, \
                    urllib.request.urlopen(static_base + theirs) as b:
                if a.read() != b.read():
                    raise SystemExit(f"{ours}: the saved copy differs from the page served")

        rounds = {"article_newsarchive": [], "article_nginx": [],
                  "home_newsarchive": [], "home_nginx": []}
        for n in range(args.rounds):
            for page, ours, theirs in (("article", article_path, "/article.html"),
                                       ("home", "/", "/home.html")):
                for engine, at, path in (("newsarchive", base, ours), ("nginx", static_base, theirs)):
                    load.log(f"round {n + 1}: {page} page, {engine}")
                    rounds[f"{page}_{engine}"].append(
                        wrk_one(at, path, args.seconds, work, f"{page}-{engine}-{n}"))
        results = {"articles": args.count, "seconds": args.seconds, "rounds": rounds,
                   "article_bytes": len(article_html), "home_bytes": len(home_html),
                   "machine": {"cpus": os.cpu_count(), "when": time.strftime("%Y-%m-%d %H:%M")}}
        print(f"| page | newsarchive req/s (median of {args.rounds}) | nginx req/s | ours ÷ nginx |")
        print("| --- | --- | --- | --- |")
        for page in ("article", "home"):
            ours = statistics.median(r["rps"] for r in rounds[f"{page}_newsarchive"])
            theirs = statistics.median(r["rps"] for r in rounds[f"{page}_nginx"])
            results[f"{page}_ratio"] = ours / theirs
            print(f"| {page} ({len(article_html if page == 'article' else home_html):,} bytes) "
                  f"| {ours:,.0f} | {theirs:,.0f} | {ours / theirs:.2f}x |")
        for key, values in rounds.items():
            print(f"{key}: " + ", ".join(f"{v['rps']:,.0f}" for v in values), file=sys.stderr)
        if args.results:
            with open(args.results, "w", encoding="utf-8") as f:
                json.dump(results, f, indent=2)
    finally:
        for process in (server, nginx):
            if process:
                process.terminate()
                process.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
