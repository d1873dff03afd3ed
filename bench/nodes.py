#!/usr/bin/env python3
"""SQLite on one node against PostgreSQL with one node and with three nodes.

Builds the release binary, writes a corpus (bench/corpus.py, seed 1) and
imports it into SQLite and into a throwaway PostgreSQL (initdb in a temp
dir, 127.0.0.1, fsync off as in the tests; started here, removed at the
end). Then, for each set-up (SQLite with one node, PostgreSQL with one node,
PostgreSQL with three nodes: separate `serve` processes with their own
index directories), with nginx in front of the node(s) in every set-up so
that like is compared with like:

- searches/s and p50/p99 per query class (the corpus's kinds, through
  /api/v1/search), and pages/s (article pages, home, archive years);
- write throughput through the API (one client writing one article per
  request), and the time from a write's reply to its being searchable on
  every node (p50/p99; a node's /healthz says which change it applied);
- for the three-node set-up: the time a third node takes to join by
  building its index from the database, and by copying a node's index/.

    python3 bench/nodes.py [--articles 100000] [--seconds 10] [--out FILE]

Needs wrk and nginx-light (installed from Debian when missing) and
PostgreSQL (scripts/postgres.sh finds or installs it). Not part of CI.
"""

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import BINARY, ROOT, ensure_wrk, log, start_server, write_corpus  # noqa: E402

LUA = os.path.join(ROOT, "bench", "load.lua")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_nginx():
    if shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"):
        return
    log("installing nginx-light from Debian's packages")
    subprocess.run(["apt-get", "install", "-y", "-q", "nginx-light"], check=True,
                   stdout=subprocess.DEVNULL)


class Postgres:
    """A throwaway PostgreSQL server, run by the postgres user when root."""

    def __init__(self):
        # Its own temp dir: the postgres user may not enter the work folder.
        self.dir = tempfile.mkdtemp(prefix="newsarchive-nodes-pg-")
        found = subprocess.run(
            ["bash", "-c", "source scripts/postgres.sh >/dev/null 2>&1 && "
             "echo $NEWSARCHIVE_TEST_POSTGRES_BIN"],
            cwd=ROOT, capture_output=True, text=True, check=True)
        self.bin = found.stdout.strip()
        self.root = os.getuid() == 0
        if self.root:
            shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self.run("initdb", "-D", f"{self.dir}/data", "-U", "postgres", "--auth=trust",
                 "--encoding=UTF8", "--locale=C")
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-o",
                 f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
                 "-c fsync=off -c max_connections=200 -c shared_buffers=1GB", "start")
        subprocess.run(["psql", f"{self.server()}/postgres", "-qc",
                        "CREATE DATABASE newsarchive"], check=True)

    def run(self, program, *args):
        command = [f"{self.bin}/{program}", *args]
        if self.root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, cwd=self.dir, check=True, stdout=subprocess.DEVNULL)

    def server(self):
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def url(self):
        return f"{self.server()}/newsarchive"

    def stop(self):
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "stop")


def nginx(work, name, upstreams):
    """nginx in front of `upstreams` (round robin, keep-alive), on a free port."""
    port = free_port()
    conf_dir = os.path.join(work, f"nginx-{name}")
    os.makedirs(conf_dir, exist_ok=True)
    servers = "\n".join(f"    server {u};" for u in upstreams)
    with open(os.path.join(conf_dir, "nginx.conf"), "w") as f:
        f.write(f"""
worker_processes 1;
pid {conf_dir}/nginx.pid;
error_log {conf_dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  upstream nodes {{
{servers}
    keepalive 64;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://nodes;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1;
    }}
  }}
}}
""")
    subprocess.run(["nginx", "-c", os.path.join(conf_dir, "nginx.conf"), "-p", conf_dir],
                   check=True)
    return conf_dir, f"http://127.0.0.1:{port}"


def stop_nginx(conf_dir):
    subprocess.run(["nginx", "-c", os.path.join(conf_dir, "nginx.conf"), "-p", conf_dir,
                    "-s", "stop"], check=False)


def wrk(base, paths, seconds, connections=16):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths) + "\n")
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", LUA,
         base], capture_output=True, text=True, check=True, env={**os.environ, "LOAD_PATHS": f.name})
    os.unlink(f.name)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    errors = sum(r[k] for k in ("connect_errors", "read_errors", "write_errors",
                                "status_errors", "timeouts"))
    return {"per_s": round(r["requests"] / (r["duration_us"] / 1e6), 1),
            "p50_ms": round(r["p50_us"] / 1000, 2), "p99_ms": round(r["p99_us"] / 1000, 2),
            "errors": errors}


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as reply:
        return json.load(reply)


def wait_caught_up(bases, timeout=1800):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if all(get_json(b + "/healthz")["index_lag"] == 0 for b in bases):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("a node did not catch up")


def write_probe(writer_base, token, nodes, count, n0):
    """Writes `count` articles one request at a time through `writer_base`;
    returns writes/s and, per write, the seconds from its reply until every
    node in `nodes` has applied it."""
    delays, started = [], time.time()
    write_seconds = 0.0
    for n in range(count):
        body = json.dumps({
            "headline": f"Probe story {n0 + n} about the harbour ferries",
            "source": "Probe Wire",
            "published_at": "2026-12-07T10:00:00Z",
            "paragraphs": [f"Probe paragraph {n0 + n} on the ferries of the harbour, "
                           "written to time how soon every node finds it."],
        }).encode()
        request = urllib.request.Request(
            writer_base + "/api/v1/articles", data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        t0 = time.time()
        with urllib.request.urlopen(request, timeout=30) as reply:
            assert reply.status == 201, reply.status
        done = time.time()
        write_seconds += done - t0
        target = get_json(writer_base + "/healthz")["last_change"]
        pending = set(nodes)
        while pending:
            for base in list(pending):
                if get_json(base + "/healthz")["indexed_change"] >= target:
                    pending.discard(base)
            if pending:
                time.sleep(0.002)
        delays.append(time.time() - done)
    elapsed = time.time() - started
    delays.sort()
    return {"writes": count, "writes_per_s_one_client": round(count / write_seconds, 1),
            "searchable_everywhere_p50_ms": round(statistics.median(delays) * 1000, 1),
            "searchable_everywhere_p99_ms": round(delays[int(len(delays) * 0.99) - 1] * 1000, 1),
            "probe_seconds": round(elapsed, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--writes", type=int, default=200, help="probe writes per set-up")
    parser.add_argument("--out", help="write the JSON summary here too")
    args = parser.parse_args()

    ensure_wrk()
    ensure_nginx()
    log("building the release binary")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="newsarchive-nodes-")
    servers, pg = [], None
    try:
        corpus, queries_file = write_corpus(work, args.articles)
        with open(queries_file, encoding="utf-8") as f:
            queries = json.load(f)["queries"]
        kinds = sorted({q["kind"] for q in queries})
        rng = random.Random(1)
        search_paths = {
            kind: [f"/api/v1/search?{urllib.parse.urlencode({'q': q['q']})}&limit=10"
                   for q in queries if q["kind"] == kind] for kind in kinds}
        pg = Postgres()
        results = {"articles": args.articles, "seconds_per_run": args.seconds,
                   "connections": 16, "setups": {}}
        imports = {}
        for name, url in (("sqlite", None), ("postgres", pg.url())):
            data = os.path.join(work, f"{name}-1")
            env = {**os.environ, "RUST_LOG": "warn"}
            env.pop("NEWSARCHIVE_DATABASE_URL", None)
            if url:
                env["NEWSARCHIVE_DATABASE_URL"] = url
            log(f"importing {args.articles} articles into {name}")
            t0 = time.time()
            subprocess.run([BINARY, "--data", data, "import", corpus], check=True, env=env,
                           stdout=subprocess.DEVNULL)
            imports[name] = round(args.articles / (time.time() - t0), 1)
        results["import_articles_per_s"] = imports

        # Article pages of ids that exist (a near-duplicate updates the
        # article it matches instead of taking the next id); both backends
        # gave out the same ids.
        import sqlite3
        with sqlite3.connect(os.path.join(work, "sqlite-1", "newsarchive.sqlite3")) as db:
            ids = [row[0] for row in db.execute("SELECT id FROM articles")]
        years = [str(y) for y in range(2006, 2027)]
        page_paths = []
        for n in range(2000):
            kind = n % 4
            if kind < 2:
                page_paths.append(f"/articles/{rng.choice(ids)}")
            elif kind == 2:
                page_paths.append("/")
            else:
                page_paths.append(f"/archive/{rng.choice(years)}")
        rng.shuffle(page_paths)

        def start(data, url):
            extra = ["--no-follow"]
            if url:
                os.environ["NEWSARCHIVE_DATABASE_URL"] = url
            else:
                os.environ.pop("NEWSARCHIVE_DATABASE_URL", None)
            server, base = start_server(data, 0, data + ".log", extra=extra)
            servers.append(server)
            return server, base

        def token(data, url):
            env = {**os.environ}
            env.pop("NEWSARCHIVE_DATABASE_URL", None)
            if url:
                env["NEWSARCHIVE_DATABASE_URL"] = url
            out = subprocess.run([BINARY, "--data", data, "token", "create", "--name",
                                  f"probe-{time.time()}"], check=True, env=env,
                                 capture_output=True, text=True)
            return out.stdout.strip().splitlines()[-1]

        probe_n = 0
        for setup, url, count in (("sqlite_1_node", None, 1), ("postgres_1_node", pg.url(), 1),
                                  ("postgres_3_nodes", pg.url(), 3)):
            name = "sqlite" if url is None else "postgres"
            nodes, bases = [], []
            joins = {}
            for i in range(count):
                data = os.path.join(work, f"{name}-{i + 1}")
                fresh = not os.path.exists(data)
                t0 = time.time()
                server, base = start(data, url)
                wait_caught_up([base])
                if fresh:
                    joins["build_from_database_s"] = round(time.time() - t0, 1)
                nodes.append(server)
                bases.append(base)
            if count == 3:
                # Joining by copying an idle node's index/ instead.
                data = os.path.join(work, "postgres-copy")
                os.makedirs(data)
                t0 = time.time()
                shutil.copytree(os.path.join(work, "postgres-1", "index"),
                                os.path.join(data, "index"))
                server, base = start(data, url)
                wait_caught_up([base])
                joins["copy_index_then_start_s"] = round(time.time() - t0, 1)
                server.terminate()
                server.wait()
                shutil.rmtree(data)
            conf, front = nginx(work, setup, [b.removeprefix("http://") for b in bases])
            log(f"{setup}: load through nginx at {front}")
            row = {"search": {}, "joins": joins}
            for kind in kinds:
                row["search"][kind] = wrk(front, search_paths[kind], args.seconds)
            row["pages"] = wrk(front, page_paths, args.seconds)
            writer_data = os.path.join(work, f"{name}-1")
            row["writes"] = write_probe(bases[0], token(writer_data, url), bases,
                                        args.writes, probe_n)
            probe_n += args.writes
            stop_nginx(conf)
            for server in nodes:
                server.terminate()
                server.wait()
            results["setups"][setup] = row
            log(json.dumps(row))
        print(json.dumps(results, indent=2))
        if args.out:
            with open(args.out, "w") as f:
                json.dump(results, f, indent=2)
        errors = [(s, k) for s, row in results["setups"].items()
                  for k, r in [*row["search"].items(), ("pages", row["pages"])] if r["errors"]]
        if errors:
            raise SystemExit(f"requests failed: {errors}")
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
                server.wait()
        if pg:
            pg.stop()
            shutil.rmtree(pg.dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
