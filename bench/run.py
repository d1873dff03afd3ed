#!/usr/bin/env python3
"""The benchmark pipeline: newsarchive side by side with its peers on one corpus.

    python3 bench/run.py --count 100000 [--seconds 20] [--binary PATH] [--work DIR]
                         [--results FILE] [--markdown FILE]

On one corpus from bench/corpus.py (seed 1) it measures, in one run:

1. Import: `newsarchive import` of the NDJSON file into a fresh data directory
   (end to end: the command returns once everything is searchable) against
   Datasette's route, `sqlite-utils insert` then `sqlite-utils enable-fts`
   (FTS5, porter stemmer). Wall time, articles/s, MB/s, peak RSS, size on disk.
2. Search latency over the corpus's query set: newsarchive's `/api/v1/search`
   (ten results with snippets; then with all facets and a histogram as well)
   against Datasette's FTS5 `?_search=` (ten rows; then with facets on the
   same fields), with 1 client (every search timed, percentiles per kind of
   query) and with 16 concurrent clients (wrk: throughput and percentiles).
   The raw engine, `newsarchive bench-search`, runs the same queries in-process
   on the same index without HTTP, database or snippets.
3. Pages: the article page and the home page (wrk, 16 connections) against
   nginx serving the same HTML as static files.
4. Memory: the server's RSS idle and its peak under the search load.

Peers and load generators are installed when missing: wrk and nginx-light from
Debian's packages, datasette and sqlite-utils (pinned) from PyPI. Nothing is
asserted about speed; the script exits non-zero only if a step fails or any
request errs. It writes every figure to a JSON file and the tables to Markdown.
"""

import argparse
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402  (the wrk runner and server start-up are shared)

ROOT = load.ROOT
DATASETTE = "datasette==0.65.5"
SQLITE_UTILS = "sqlite-utils==3.38"
FACETS = "source,section,tag,author,year"
PAGES = 100


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- tools ---------------------------------------------------------------

def ensure_tools():
    load.ensure_wrk()
    if not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"):
        log("installing nginx-light from Debian's packages")
        subprocess.run(["apt-get", "install", "-y", "-q", "nginx-light"], check=True,
                       stdout=subprocess.DEVNULL)
    missing = [pkg for pkg, module in ((DATASETTE, "datasette"), (SQLITE_UTILS, "sqlite_utils"))
               if subprocess.run([sys.executable, "-c", f"import {module}"],
                                 capture_output=True).returncode != 0]
    if missing:
        log(f"installing {' '.join(missing)} from PyPI")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", *missing], check=True)


def nginx_binary():
    return shutil.which("nginx") or "/usr/sbin/nginx"


def version_of(command):
    """The first version number a command prints about itself."""
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    match = re.search(r"\d+\.\d+(\.\d+)?", out.stdout + out.stderr)
    return match.group(0) if match else "unknown"


def machine(binary):
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as f:
        memory_kib = int(f.readline().split()[1])
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_kib / 2**20, 1),
        "os": platform.platform(),
        "newsarchive": version_of([binary, "--version"]),
        "rustc": version_of(["rustc", "--version"]),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "datasette": version_of([sys.executable, "-m", "datasette", "--version"]),
        "sqlite_utils": version_of([sys.executable, "-m", "sqlite_utils", "--version"]),
        "nginx": version_of([nginx_binary(), "-v"]),
        "wrk": version_of(["wrk", "-v"]),
    }


# --- processes -----------------------------------------------------------

def timed(command, **kwargs):
    """Runs a command to the end: wall seconds, user+system CPU seconds and
    peak RSS in MiB of that process (`wait4`'s figures for it alone)."""
    started = time.monotonic()
    process = subprocess.Popen(command, **kwargs)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command))} exited with {process.returncode}")
    return {"seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_mib": usage.ru_maxrss / 1024}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class RssSampler:
    """The highest RSS of a process seen every 100 ms while running."""

    def __init__(self, pid):
        self.pid, self.peak, self.running = pid, 0.0, True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self):
        while self.running:
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.1)

    def stop(self):
        self.running = False
        self.thread.join()
        return self.peak


def wait_http(url, timeout=300):
    deadline = time.time() + timeout
    error = None
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=30):
                return
        except OSError as e:
            error = e
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout} s (last: {error})")


def size_of(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


# --- the corpus ----------------------------------------------------------

def corpus_facts(path):
    """Articles and the raw text's size: headline, subheading and paragraphs
    in UTF-8, what a reader would call the text of the archive."""
    articles = text = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            article = json.loads(line)
            articles += 1
            parts = [article.get("headline", ""), article.get("subheading", "")]
            parts += article.get("paragraphs", [])
            text += sum(len(p.encode("utf-8")) for p in parts)
    return {"articles": articles, "file_bytes": os.path.getsize(path), "text_bytes": text}


# --- query translation for the peer --------------------------------------

TOKEN = re.compile(r'\(|\)|"[^"]*"|[\w-]+:"[^"]*"|[\w-]+:\[[^\]]*\]|[^\s()"]+')
PEER_FILTERS = {"source": "source__contains", "author": "authors__contains",
                "tag": "tags__contains", "section": "section__exact"}


def fts5_query(query):
    """The query for Datasette: an FTS5 expression (raw search mode) of the
    same words, phrases, OR and parentheses, plus column filters for the
    fields and dates. Returns the URL parameters."""
    terms, params = [], []
    for token in TOKEN.findall(query["q"]):
        field, _, value = token.partition(":")
        if value and field.lower() in ("published", "date"):
            match = re.match(r"\[(\S+) TO (\S+)\]", value)
            if match:
                params += [("published_at__gte", match.group(1)),
                           ("published_at__lte", match.group(2) + "T23:59:59Z")]
        elif value and field.lower() in PEER_FILTERS:
            params.append((PEER_FILTERS[field.lower()], value.strip('"')))
        elif token == "AND":
            continue
        else:
            if token not in ("OR", "NOT", ")") and terms and terms[-1] not in ("OR", "NOT", "("):
                terms.append("AND")  # FTS5 wants it after a group
            if token in ("OR", "NOT", "(", ")") or token.startswith('"'):
                terms.append(token)
            else:
                terms.append('"' + token.replace('"', '""') + '"')
    if query.get("from"):
        params.append(("published_at__gte", query["from"]))
    if query.get("to"):
        params.append(("published_at__lte", query["to"] + "T23:59:59Z"))
    if any(t not in ("OR", "NOT", "AND", "(", ")") for t in terms):
        params += [("_search", " ".join(terms)), ("_searchmode", "raw")]
    return params


def paths_for(queries, engine, facets, columns=()):
    """One URL path per query, in the query file's order. Datasette facets
    on those of the fields that the table has (`columns`)."""
    paths = []
    for query in queries:
        if engine == "newsarchive":
            params = [("q", query["q"]), ("limit", "10")]
            params += [(k, query[k]) for k in ("from", "to") if query.get(k)]
            if facets:
                params += [("facets", FACETS), ("histogram", "auto")]
            paths.append("/api/v1/search?" + urllib.parse.urlencode(params))
        else:
            params = fts5_query(query) + [("_size", "10"), ("_shape", "objects")]
            params += [("_col", c) for c in ("headline", "source", "url", "published_at")]
            if facets:
                params += [(kind, column) for kind, column in (
                    ("_facet", "source"), ("_facet", "section"), ("_facet_array", "tags"),
                    ("_facet_array", "authors"), ("_facet_date", "published_at"))
                    if column in columns]
            paths.append("/peer/articles.json?" + urllib.parse.urlencode(params))
    return paths


# --- measuring -----------------------------------------------------------

def percentile(values, p):
    """Nearest-rank percentile of a list of numbers."""
    ordered = sorted(values)
    if not ordered:
        return 0
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summary(micros):
    return {"searches": len(micros),
            "p50_ms": percentile(micros, 50) / 1000, "p90_ms": percentile(micros, 90) / 1000,
            "p99_ms": percentile(micros, 99) / 1000, "max_ms": max(micros, default=0) / 1000}


def by_kind(queries, times):
    """Percentiles over all searches, and per kind of query."""
    kinds = {}
    for query, micros in zip(queries, times):
        kinds.setdefault(query["kind"], []).extend(micros)
    result = {"all": summary([m for micros in times for m in micros])}
    result.update({kind: summary(micros) for kind, micros in sorted(kinds.items())})
    return result


class ImportWatcher:
    """Watches `newsarchive import` while it runs, every 100 ms: the peak of
    its anonymous resident memory (`RssAnon`: the heap, apart from the index
    files it maps), and when the articles saved (the database's last id, read
    with a read-only connection) crossed each multiple of `slice`."""

    def __init__(self, pid, data, slice_size):
        self.pid, self.slice, self.running = pid, slice_size, True
        self.database = os.path.join(data, "newsarchive.sqlite3")
        self.started = time.monotonic()
        self.peak_anon_mib, self.crossed = 0.0, []
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def saved(self):
        try:
            with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=1) as db:
                return db.execute("SELECT last_id FROM article_ids").fetchone()[0]
        except (sqlite3.Error, TypeError):
            return 0

    def watch(self):
        ticks = 0
        while self.running:
            self.peak_anon_mib = max(self.peak_anon_mib, rss_mib(self.pid, "RssAnon"))
            ticks += 1
            if ticks % 10 == 0:  # the database once a second
                saved = self.saved()
                while saved >= (len(self.crossed) + 1) * self.slice:
                    self.crossed.append(time.monotonic() - self.started)
            time.sleep(0.1)

    def stop(self, seconds, articles):
        """The figures, given the import's wall time and articles: the last
        slice ends when the import returns (everything searchable)."""
        self.running = False
        self.thread.join()
        ends = self.crossed[:max(0, -(-articles // self.slice) - 1)] + [seconds]
        slices, begun = [], 0.0
        for i, end in enumerate(ends):
            size = min(self.slice, articles - i * self.slice)
            slices.append({"first": i * self.slice + 1, "last": i * self.slice + size,
                           "seconds": end - begun,
                           "articles_per_second": size / max(end - begun, 1e-9)})
            begun = end
        return {"peak_heap_mib": self.peak_anon_mib, "slices": slices}


def import_ours(binary, corpus, data, facts, slice_size):
    """`newsarchive import` of the corpus into a fresh data directory, watched."""
    started = time.monotonic()
    process = subprocess.Popen([binary, "--data", data, "import", "--quiet", corpus],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watcher = ImportWatcher(process.pid, data, slice_size)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"newsarchive import exited with {os.waitstatus_to_exitcode(status)}")
    figures = {"seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
               "peak_rss_mib": usage.ru_maxrss / 1024}
    figures.update(watcher.stop(wall, facts["articles"]))
    return figures


def import_both(binary, corpus, data, peer_db, facts, slice_size=100_000):
    """Imports the corpus into a fresh archive and into the peer's database;
    returns both sides' figures."""
    shutil.rmtree(data, ignore_errors=True)
    for stale in (peer_db, peer_db + "-wal", peer_db + "-shm"):
        if os.path.exists(stale):
            os.remove(stale)
    log("importing with newsarchive")
    ours = import_ours(binary, corpus, data, facts, slice_size)
    ours["bytes_on_disk"] = size_of(data)
    log("importing with sqlite-utils insert + enable-fts")
    insert = timed([sys.executable, "-m", "sqlite_utils", "insert", peer_db, "articles",
                    corpus, "--nl", "--alter"], stdout=subprocess.DEVNULL)
    fts = timed([sys.executable, "-m", "sqlite_utils", "enable-fts", peer_db, "articles",
                 "headline", "subheading", "paragraphs", "--fts5", "--tokenize", "porter"],
                stdout=subprocess.DEVNULL)
    peer = {"seconds": insert["seconds"] + fts["seconds"],
            "cpu_seconds": insert["cpu_seconds"] + fts["cpu_seconds"],
            "peak_rss_mib": max(insert["peak_rss_mib"], fts["peak_rss_mib"]),
            "insert_seconds": insert["seconds"], "fts_seconds": fts["seconds"],
            "bytes_on_disk": sum(size_of(p) for p in (peer_db, peer_db + "-wal")
                                 if os.path.exists(p))}
    for figures in (ours, peer):
        figures["articles_per_second"] = facts["articles"] / figures["seconds"]
        figures["mb_per_second"] = facts["file_bytes"] / 1e6 / figures["seconds"]
        figures["disk_to_text"] = figures["bytes_on_disk"] / facts["text_bytes"]
    return {"newsarchive": ours, "datasette_route": peer}


def stop(process):
    """Asks a process to stop, and kills it if it has not within 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


ONE_CLIENT_TIMEOUT = 120


def one_client(base, paths, seconds, budget):
    """The paths in a seeded random order over one keep-alive connection,
    timed one by one, after ten untimed ones: rounds until at least one is
    complete and `seconds` have passed, but never past `budget` seconds in
    all, warm-up included (a slow peer then answers part of the set, all
    kinds alike). A search still unanswered after ONE_CLIENT_TIMEOUT seconds
    is counted as taking that long and listed in the timeouts. Returns each
    path's times in microseconds, the errors and the timeouts."""
    host = urllib.parse.urlparse(base)
    connection = None
    errors, timeouts = [], []

    def get(path):
        nonlocal connection
        if connection is None:
            connection = http.client.HTTPConnection(host.hostname, host.port,
                                                    timeout=ONE_CLIENT_TIMEOUT)
        try:
            connection.request("GET", path)
            reply = connection.getresponse()
            body = reply.read()
        except TimeoutError:
            timeouts.append(path)
            connection.close()
            connection = None
            return
        if reply.status != 200:
            errors.append(f"{reply.status} {path}: {body[:300]!r}")

    order = list(range(len(paths)))
    random.Random(11).shuffle(order)
    deadline = time.monotonic() + budget
    for n in order[:10]:
        if time.monotonic() > deadline:
            break
        get(paths[n])
    times = [[] for _ in paths]
    started = time.monotonic()
    done = 0
    while done < len(paths) or time.monotonic() - started < seconds:
        if time.monotonic() > deadline:
            break
        n = order[done % len(order)]
        t = time.perf_counter_ns()
        get(paths[n])
        times[n].append((time.perf_counter_ns() - t) // 1000)
        done += 1
    if connection is not None:
        connection.close()
    return times, errors, timeouts


def many_clients(base, paths, seconds, work, name, connections=16, timeout=10):
    rng = random.Random(7)
    shuffled = paths * max(1, 2000 // len(paths))
    rng.shuffle(shuffled)
    paths_file = os.path.join(work, f"paths-{name}.txt")
    with open(paths_file, "w", encoding="utf-8") as f:
        f.write("\n".join(shuffled) + "\n")
    result = load.wrk(base, paths_file, max(1, round(seconds)), connections, timeout)
    return {"connections": connections, "requests": result["requests"],
            "rps": result["rps"], "p50_ms": result["p50_us"] / 1000,
            "p90_ms": result["p90_us"] / 1000, "p99_ms": result["p99_us"] / 1000,
            "max_ms": result["max_us"] / 1000, "errors": result["errors"],
            "timeouts": result["timeouts"]}


def raw_engine(binary, data, queries_file, seconds, threads, facets):
    command = [binary, "--data", data, "bench-search", queries_file,
               "--threads", str(threads), "--seconds", str(seconds)]
    if facets:
        command.append("--facets")
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench-search failed: {out.stderr[-2000:]}")
    report = json.loads(out.stdout)
    times = [q["micros"] for q in report["queries"]]
    return report, times


# --- nginx ---------------------------------------------------------------

NGINX_CONF = """
worker_processes 2;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {work}/nginx-tmp;
    proxy_temp_path {work}/nginx-tmp;
    fastcgi_temp_path {work}/nginx-tmp;
    uwsgi_temp_path {work}/nginx-tmp;
    scgi_temp_path {work}/nginx-tmp;
    types {{ text/html html; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def start_nginx(work, root):
    port = free_port()
    os.makedirs(os.path.join(work, "nginx-tmp"), exist_ok=True)
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(NGINX_CONF.format(work=work, port=port, root=root))
    process = subprocess.Popen([nginx_binary(), "-c", conf, "-p", work],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/home.html", 30)
    return process, base


# --- the pipeline --------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="articles in the corpus")
    parser.add_argument("--seconds", type=float, default=20,
                        help="length of each timed search or page run")
    parser.add_argument("--budget", type=float, default=600,
                        help="most seconds one client spends on one engine's query set")
    parser.add_argument("--binary", help="newsarchive binary (default: build the release one)")
    parser.add_argument("--corpus", help="an existing corpus file (with --queries)")
    parser.add_argument("--queries", help="its query file")
    parser.add_argument("--work", help="work folder (default: a temporary one, removed after)")
    parser.add_argument("--reuse", action="store_true",
                        help="skip the import: use the archive and peer database an earlier "
                             "run left in --work (its import figures are not measured again)")
    parser.add_argument("--import-only", action="store_true",
                        help="measure the import (both sides) and stop")
    parser.add_argument("--slice", type=int, default=100_000,
                        help="report newsarchive's import rate per this many articles")
    parser.add_argument("--results", help="write every figure here as JSON")
    parser.add_argument("--markdown", help="write the tables here")
    args = parser.parse_args()

    ensure_tools()
    binary = args.binary
    if not binary:
        log("building the release binary")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = load.BINARY
    binary = os.path.abspath(binary)
    work = os.path.abspath(args.work or tempfile.mkdtemp(prefix="newsarchive-bench-"))
    os.makedirs(work, exist_ok=True)
    # nginx's workers run as another user when it is started as root.
    os.chmod(work, 0o755)
    commands = [" ".join(["python3", "bench/run.py", *sys.argv[1:]])]

    corpus, queries_file = args.corpus, args.queries
    if not corpus:
        corpus, queries_file = load.write_corpus(work, args.count)
    with open(queries_file, encoding="utf-8") as f:
        queries = json.load(f)["queries"]
    if not queries:
        raise SystemExit(f"{queries_file} holds no queries (the corpus is too small)")
    facts = corpus_facts(corpus)
    results = {"date": time.strftime("%Y-%m-%d"), "machine": machine(binary),
               "corpus": facts, "queries": len(queries), "seconds": args.seconds,
               "budget": args.budget}
    log(f"corpus: {facts['articles']} articles, {facts['file_bytes'] / 2**20:.0f} MiB, "
        f"{len(queries)} queries")

    # 1. Import.
    data = os.path.join(work, "data")
    peer_db = os.path.join(work, "peer.db")
    if args.reuse:
        if not (args.work and os.path.isdir(data) and os.path.exists(peer_db)):
            raise SystemExit("--reuse needs a --work folder holding data/ and peer.db")
        log("reusing the archive and peer database in the work folder (no import)")
        results["import"] = {"reused": True, "newsarchive": {}, "datasette_route": {}}
        for figures, path in ((results["import"]["newsarchive"], data),
                              (results["import"]["datasette_route"], peer_db)):
            figures["bytes_on_disk"] = size_of(path)
            figures["disk_to_text"] = figures["bytes_on_disk"] / facts["text_bytes"]
    else:
        results["import"] = import_both(binary, corpus, data, peer_db, facts, args.slice)
    if args.import_only:
        finish(args, results, commands)
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
        return
    with sqlite3.connect(peer_db) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(articles)")}

    # 2-4. Search, pages, memory.
    server, base = load.start_server(data, 0, os.path.join(work, "server.log"),
                                     binary=binary, extra=["--no-follow"])
    peer_port = free_port()
    peer_log = open(os.path.join(work, "datasette.log"), "w", encoding="utf-8")
    datasette = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", "-i", peer_db, "--port", str(peer_port),
         "--setting", "sql_time_limit_ms", "600000", "--setting", "facet_time_limit_ms",
         "600000", "--setting", "suggest_facets", "off"],
        stdout=peer_log, stderr=peer_log)
    peer_base = f"http://127.0.0.1:{peer_port}"
    errors = []
    try:
        load.wait_ready(base)
        wait_http(peer_base + "/-/versions.json")
        time.sleep(1)
        results["memory"] = {"newsarchive_idle_mib": rss_mib(server.pid),
                             "datasette_idle_mib": rss_mib(datasette.pid)}
        search = {}
        sampler = RssSampler(server.pid)
        peer_sampler = RssSampler(datasette.pid)
        for facets in (False, True):
            variant = "facets" if facets else "plain"
            for engine, at in (("newsarchive", base), ("datasette", peer_base)):
                paths = paths_for(queries, engine, facets, columns)
                log(f"search, {engine}, {variant}: 1 client")
                times, failed, timed_out = one_client(at, paths, args.seconds, args.budget)
                errors += failed
                if timed_out and engine != "datasette":
                    errors.append(f"{engine} {variant}: {len(timed_out)} searches timed out")
                one = by_kind(queries, times)
                one["complete"] = all(times)
                one["timeouts"] = len(timed_out)
                log(f"search, {engine}, {variant}: 16 clients")
                many = many_clients(at, paths, args.seconds, work, f"{engine}-{variant}",
                                    timeout=60)
                # A peer too slow to answer in time is a figure; any other
                # failed request is a fault of the pipeline or the server.
                failures = many["errors"] - (many["timeouts"] if engine == "datasette" else 0)
                if failures:
                    errors.append(f"{engine} {variant}: {failures} failed requests under load")
                search[f"{engine}_{variant}"] = {"one_client": one, "sixteen_clients": many}
        results["memory"]["newsarchive_peak_under_load_mib"] = sampler.stop()
        results["memory"]["datasette_peak_under_load_mib"] = peer_sampler.stop()
        # Searches wrk gave up on keep Datasette busy for minutes at scale:
        # stop it before the pages are measured.
        stop(datasette)

        log("pages")
        root = os.path.join(work, "static")
        os.makedirs(root, exist_ok=True)
        # A seeded sample of article pages, each saved for nginx as served.
        candidates = list(range(1, facts["articles"] + 1))
        random.Random(3).shuffle(candidates)
        ours_paths, static_paths = [], []
        for article in candidates:
            if len(ours_paths) == PAGES:
                break
            try:
                with urllib.request.urlopen(f"{base}/articles/{article}") as reply:
                    html = reply.read()
                    path = urllib.parse.urlparse(reply.url).path
            except urllib.error.HTTPError as e:
                if e.code == 404:  # merged into another article by URL
                    continue
                raise
            n = len(ours_paths)
            with open(os.path.join(root, f"{n}.html"), "wb") as f:
                f.write(html)
            ours_paths.append(path)
            static_paths.append(f"/{n}.html")
        with urllib.request.urlopen(base + "/") as reply:
            home = reply.read()
        with open(os.path.join(root, "home.html"), "wb") as f:
            f.write(home)
        nginx, static_base = start_nginx(work, root)
        try:
            pages = {}
            for page, ours_list, static_list in (("article", ours_paths, static_paths),
                                                 ("home", ["/"], ["/home.html"])):
                for engine, at, paths in (("newsarchive", base, ours_list),
                                          ("nginx", static_base, static_list)):
                    log(f"pages, {page}, {engine}")
                    run = many_clients(at, paths, args.seconds, work, f"page-{page}-{engine}")
                    if run["errors"]:
                        errors.append(f"{engine} {page} page: {run['errors']} failed requests")
                    pages[f"{page}_{engine}"] = run
            results["pages"] = pages
            results["pages"]["article_bytes"] = sum(
                os.path.getsize(os.path.join(root, f"{n}.html")) for n in range(len(ours_paths))
            ) // len(ours_paths)
            results["pages"]["home_bytes"] = len(home)
        finally:
            nginx.terminate()
            nginx.wait()
        results["memory"]["newsarchive_after_mib"] = rss_mib(server.pid)
        results["memory"]["newsarchive_high_water_mib"] = rss_mib(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait()
        stop(datasette)

    for facets in (False, True):
        variant = "facets" if facets else "plain"
        log(f"raw engine, {variant}: 1 thread, then 16")
        report, times = raw_engine(binary, data, queries_file, args.seconds, 1, facets)
        many_report, _ = raw_engine(binary, data, queries_file, args.seconds, 16, facets)
        search[f"raw_{variant}"] = {
            "one_client": by_kind(queries, times),
            "sixteen_clients": {"connections": 16, "requests": many_report["searches"],
                                "rps": many_report["searches"] / many_report["seconds"]}}
        # The same articles must come back whichever way the index is asked.
        search[f"raw_{variant}"]["totals"] = {q["id"]: q["total"] for q in report["queries"]}
    results["search"] = search
    finish(args, results, commands)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    if errors:
        for error in errors[:20]:
            log(f"error: {error}")
        raise SystemExit(f"{len(errors)} request(s) failed")


# --- the report ----------------------------------------------------------

def finish(args, results, commands):
    """Writes the figures as JSON and the tables as Markdown, and prints the tables."""
    results["commands"] = commands
    if args.results:
        with open(args.results, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
    tables = markdown(results)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(tables)
    print(tables)


def slice_table(ours):
    """newsarchive's import rate per slice of the corpus."""
    slices = ours.get("slices") or []
    if not slices:
        return []
    first = slices[0]["articles_per_second"]
    out = ["", "**Import rate per slice** (articles saved, from the database's last id "
           "read once a second; the last slice ends when everything is searchable):", "",
           "| articles | seconds | articles/s | against the first slice |", "| --- | --- | --- | --- |"]
    for part in slices:
        out.append(f"| {part['first']:,}–{part['last']:,} | {part['seconds']:.1f} | "
                   f"{part['articles_per_second']:,.0f} | "
                   f"{part['articles_per_second'] / first:.2f}× |")
    return out


def ms(value):
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def ratio(a, b):
    return f"{a / b:.2f}×" if b else "n/a"


def markdown(r):
    c = r["corpus"]
    out = [f"### {c['articles']:,} articles ({c['file_bytes'] / 2**20:,.0f} MiB of NDJSON, "
           f"{c['text_bytes'] / 2**20:,.0f} MiB of text), {r['queries']} queries",
           "",
           f"Machine: {r['machine']['cores']} cores ({r['machine']['cpu']}), "
           f"{r['machine']['memory_gib']} GiB; newsarchive {r['machine']['newsarchive']}, "
           f"rustc {r['machine']['rustc']}, SQLite {r['machine']['sqlite']}, "
           f"Datasette {r['machine']['datasette']}, sqlite-utils {r['machine']['sqlite_utils']}, "
           f"nginx {r['machine']['nginx']}, wrk {r['machine']['wrk']}, "
           f"Python {r['machine']['python']}. {r['date']}.",
           "", "**Import** (end to end, into a fresh directory):", "",
           "| | newsarchive | sqlite-utils insert + enable-fts | ratio |",
           "| --- | --- | --- | --- |"]
    ours, peer = r["import"]["newsarchive"], r["import"]["datasette_route"]
    if r["import"].get("reused"):
        out[-4:] = ["**On disk** (the import was not run again: `--reuse`):", "",
                    "| | newsarchive | sqlite-utils insert + enable-fts |", "| --- | --- | --- |",
                    f"| on disk | {ours['bytes_on_disk'] / 2**20:,.0f} MiB "
                    f"({ours['disk_to_text']:.2f}× the text) | "
                    f"{peer['bytes_on_disk'] / 2**20:,.0f} MiB ({peer['disk_to_text']:.2f}× the text) |"]
        ours = None
    out += [] if ours is None else [
        f"| wall time | {ours['seconds']:.1f} s | {peer['seconds']:.1f} s "
        f"({peer['insert_seconds']:.1f} + {peer['fts_seconds']:.1f}) | "
        f"{ratio(peer['seconds'], ours['seconds'])} as fast |",
        f"| articles/s | {ours['articles_per_second']:,.0f} | {peer['articles_per_second']:,.0f} | "
        f"{ratio(ours['articles_per_second'], peer['articles_per_second'])} |",
        f"| MB/s | {ours['mb_per_second']:.1f} | {peer['mb_per_second']:.1f} | |",
        f"| CPU time | {ours['cpu_seconds']:.1f} s | {peer['cpu_seconds']:.1f} s | |",
        f"| peak RSS | {ours['peak_rss_mib']:.0f} MiB | {peer['peak_rss_mib']:.0f} MiB | |",
        f"| peak heap (anonymous RSS) | {ours.get('peak_heap_mib', 0):.0f} MiB | | |",
        f"| on disk | {ours['bytes_on_disk'] / 2**20:,.0f} MiB ({ours['disk_to_text']:.2f}× the text) | "
        f"{peer['bytes_on_disk'] / 2**20:,.0f} MiB ({peer['disk_to_text']:.2f}× the text) | |"]
    if ours is not None:
        out += slice_table(ours)
    if "search" not in r:
        return "\n".join(out) + "\n"
    out += [
        "", "**Search, one client** (every search timed; ratio = Datasette's time ÷ ours, "
        "ours ÷ raw engine):", "",
        "| queries | variant | raw engine p50 / p99 | newsarchive p50 / p90 / p99 / max "
        "| Datasette p50 / p99 | vs raw (p50) | Datasette ÷ ours (p50 / p99) |",
        "| --- | --- | --- | --- | --- | --- | --- |"]
    s = r["search"]
    for variant in ("plain", "facets"):
        raw, ours1, peer1 = (s[f"{e}_{variant}"]["one_client"]
                             for e in ("raw", "newsarchive", "datasette"))
        for kind in ["all"] + sorted(k for k, v in ours1.items()
                                     if k != "all" and isinstance(v, dict)):
            a, b, p = raw[kind], ours1[kind], peer1[kind]
            if p["searches"]:
                peer_cells = (f"{ms(p['p50_ms'])} / {ms(p['p99_ms'])}",
                              f"{ratio(p['p50_ms'], b['p50_ms'])} / {ratio(p['p99_ms'], b['p99_ms'])}")
            else:
                peer_cells = ("not reached in the budget", "n/a")
            out.append(
                f"| {kind} | {variant} | {ms(a['p50_ms'])} / {ms(a['p99_ms'])} | "
                f"{ms(b['p50_ms'])} / {ms(b['p90_ms'])} / {ms(b['p99_ms'])} / {ms(b['max_ms'])} | "
                f"{peer_cells[0]} | {ratio(b['p50_ms'], a['p50_ms'])} | {peer_cells[1]} |")
    for name, run in sorted(s.items()):
        if not run["one_client"].get("complete", True):
            out.append(f"\n{name}: within the {r['budget']:.0f} s budget one client got through "
                       f"{run['one_client']['all']['searches']} searches, not the whole set.")
        if run["one_client"].get("timeouts"):
            out.append(f"\n{name}: {run['one_client']['timeouts']} of those searches had no "
                       f"answer after {ONE_CLIENT_TIMEOUT} s and count as {ONE_CLIENT_TIMEOUT} s.")
    out += ["", "**Search, 16 concurrent clients** (wrk over the shuffled query set; the raw "
            "engine with 16 threads):", "",
            "| variant | raw engine searches/s | newsarchive req/s | p50 / p99 | "
            "Datasette req/s | p50 / p99 | ours ÷ Datasette (req/s) |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for variant in ("plain", "facets"):
        raw = s[f"raw_{variant}"]["sixteen_clients"]
        b = s[f"newsarchive_{variant}"]["sixteen_clients"]
        p = s[f"datasette_{variant}"]["sixteen_clients"]
        if p["requests"]:
            peer_cells = (f"{p['rps']:,.1f} | {ms(p['p50_ms'])} / {ms(p['p99_ms'])}"
                          f"{' (%d timed out after 60 s)' % p['timeouts'] if p['timeouts'] else ''}")
        else:
            peer_cells = f"0 | none answered in the {r['seconds']:.0f} s run"
        out.append(f"| {variant} | {raw['rps']:,.0f} | {b['rps']:,.0f} | {ms(b['p50_ms'])} / "
                   f"{ms(b['p99_ms'])} | {peer_cells} | {ratio(b['rps'], p['rps'])} |")
    pg = r["pages"]
    out += ["", f"**Pages** (wrk, 16 connections; article pages average {pg['article_bytes']:,} "
            f"bytes, the home page {pg['home_bytes']:,}):", "",
            "| page | newsarchive req/s | p99 | nginx (static copy) req/s | p99 | ours ÷ nginx |",
            "| --- | --- | --- | --- | --- | --- |"]
    for page in ("article", "home"):
        b, n = pg[f"{page}_newsarchive"], pg[f"{page}_nginx"]
        out.append(f"| {page} | {b['rps']:,.0f} | {ms(b['p99_ms'])} | {n['rps']:,.0f} | "
                   f"{ms(n['p99_ms'])} | {ratio(b['rps'], n['rps'])} |")
    m = r["memory"]
    out += ["", "**Memory** (resident set size):", "",
            "| | newsarchive | Datasette |", "| --- | --- | --- |",
            f"| idle, after start-up | {m['newsarchive_idle_mib']:.0f} MiB | "
            f"{m['datasette_idle_mib']:.0f} MiB |",
            f"| peak under the search load (sampled every 100 ms) | "
            f"{m['newsarchive_peak_under_load_mib']:.0f} MiB | "
            f"{m['datasette_peak_under_load_mib']:.0f} MiB |",
            f"| high-water mark of the whole run | {m['newsarchive_high_water_mib']:.0f} MiB | |",
            ""]
    return "\n".join(out)


if __name__ == "__main__":
    main()
