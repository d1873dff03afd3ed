#!/usr/bin/env python3
"""Known-item search quality: newsarchive against SQLite FTS5 on the same articles.

A reader remembers a story and types a few words from it. For a seeded sample
of articles this makes such queries in two sets. The first ("distinctive")
has four kinds:

- exact:          three distinctive words from the article's body;
- inflected:      the same, with one word in another form (relation/relations);
- misremembered:  the same, with one word replaced by a word the story lacks;
- name:           a capitalised name from the body plus one distinctive word.

Its words are rare, so it is easy. The second ("typed") is made the way
Azzopardi, de Rijke and Balog (2007) simulate known-item queries and is
harder, like what people type: two to four words drawn from the body with
probability by tf-idf (so many are common words), from its own seed:

- typed exact:     the drawn words;
- typed inflected: one of them in another form of the same stem that the
                   story never uses ("supplies" -> "supplied"), the form
                   most used elsewhere in the corpus (stems by SQLite's
                   porter tokenizer, not by newsarchive's stemmer);
- typed related:   one of them swapped for a word the story lacks that most
                   often shares articles with it elsewhere (by PMI);
- typed name:      a name from the body plus one or two drawn words.

Each query is run on newsarchive (its JSON API, on a server started here from
the given binary over an archive imported here) and on SQLite FTS5 (porter
stemming, bm25) as all-words and as any-word queries. It reports MRR@10 (the
mean of 1/rank of the remembered story, 0 when it is not in the top ten) and
success@10 per kind, as a Markdown table. A result counts as the story when
it is the article or a copy of it: the real articles hold a few stories twice
under two URLs (same headline, at least 80% of the same words), and
newsarchive shows one copy of a story where FTS5 lists both.

    python3 bench/corpus.py --count 3729 --seed 1 --out real.ndjson --queries q.json
    python3 bench/known_item.py --corpus real.ndjson --binary target/release/newsarchive

Nothing here asserts a figure; it prints them.
"""

import argparse
import json
import math
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter

# Whole words only: not `laughlin` out of `McLaughlin` or `jpace` out of
# `jpaceDC`, which are no word of the story (the same for a name).
WORD = re.compile(r"\b[A-Za-z][a-z]+\b")
NAME = re.compile(r"(?<=[a-z,] )([A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})?)\b")
STOP = set(
    "the and for that with from this have were said will would their there about after "
    "which been they into more than also when what where while could should other over "
    "some such only them these those very just being because before between during "
    "under again most many much each both here then once".split()
)


def load(path):
    articles = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            if a.get("url") and a.get("paragraphs"):
                articles.append(a)
    return articles


def words(text):
    return [w.lower() for w in WORD.findall(text)]


def make_queries(articles, count, seed):
    rng = random.Random(seed)
    df = Counter()
    for a in articles:
        df.update(set(words(" ".join(a["paragraphs"]))))
    common = sorted(w for w, n in df.items() if 20 <= n <= 300 and len(w) >= 5 and w not in STOP)
    queries = []
    for a in rng.sample(articles, min(count, len(articles))):
        body = " ".join(a["paragraphs"])
        own = set(words(body))
        distinctive = sorted(w for w in own if 2 <= df[w] <= 30 and len(w) >= 5 and w not in STOP)
        if len(distinctive) < 3:
            continue
        picked = rng.sample(distinctive, 3)
        queries.append(("exact", " ".join(picked), a["url"]))
        bent = list(picked)
        i = rng.randrange(3)
        w = bent[i]
        bent[i] = w[:-1] if w.endswith("s") else (w[:-1] + "ing" if w.endswith("e") else w + "s")
        queries.append(("inflected", " ".join(bent), a["url"]))
        wrong = list(picked)
        stranger = rng.choice(common)
        while stranger in own:
            stranger = rng.choice(common)
        wrong[rng.randrange(3)] = stranger
        queries.append(("misremembered", " ".join(wrong), a["url"]))
        names = sorted(set(n for n in NAME.findall(body) if all(df[p.lower()] <= 40 for p in n.split())))
        if names:
            queries.append(("name", f"{rng.choice(names)} {rng.choice(picked)}", a["url"]))
    return queries


def porter_stems(vocabulary):
    """Each word -> its stem by SQLite FTS5's porter tokenizer."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE v USING fts5(w, tokenize='porter ascii')")
    db.executemany("INSERT INTO v(rowid, w) VALUES (?, ?)", enumerate(vocabulary))
    db.execute("CREATE VIRTUAL TABLE vi USING fts5vocab(v, 'instance')")
    return {vocabulary[doc]: term for term, doc in db.execute("SELECT term, doc FROM vi")}


def make_typed_queries(articles, count, seed):
    """The second set (see the top of this file), from its own seed."""
    rng = random.Random(f"typed:{seed}")
    bags = [Counter(words(" ".join(a["paragraphs"]))) for a in articles]
    df = Counter()
    for bag in bags:
        df.update(bag.keys())
    n = len(articles)
    usable = lambda w: len(w) >= 3 and w not in STOP
    idf = {w: math.log(n / c) for w, c in df.items()}
    stems = porter_stems(sorted(df))
    forms = {}
    for w, stem in stems.items():
        forms.setdefault(stem, []).append(w)
    # Words seen in at least 5 articles, and the articles each is in, for PMI.
    frequent = {w for w, c in df.items() if c >= 5 and usable(w)}
    holders = {}
    for i, bag in enumerate(bags):
        for w in bag:
            if w in frequent:
                holders.setdefault(w, set()).add(i)

    def inflection(w, own):
        others = [f for f in forms.get(stems.get(w), []) if f != w and f not in own and usable(f)]
        return max(others, key=lambda f: (df[f], f)) if others else None

    def related(w, own):
        mine = holders.get(w)
        if not mine:
            return None
        best, best_pmi = None, 0.0
        for other in frequent:
            if other in own or stems.get(other) == stems.get(w):
                continue
            both = len(mine & holders[other])
            if both < 3:
                continue
            pmi = math.log(both * n / (len(mine) * len(holders[other])))
            if pmi > best_pmi or (pmi == best_pmi and best is not None and other < best):
                best, best_pmi = other, pmi
        return best

    queries = []
    order = list(range(n))
    rng.shuffle(order)
    for i in order[: min(count, n)]:
        a, bag = articles[i], bags[i]
        own = set(bag)
        weighted = sorted((w, tf * idf[w]) for w, tf in bag.items() if usable(w))
        if len(weighted) < 4:
            continue
        length = rng.choice([2, 2, 3, 3, 3, 4])
        picked = []
        pool = list(weighted)
        while len(picked) < length and pool:
            total = sum(x for _, x in pool)
            r = rng.random() * total
            for j, (w, x) in enumerate(pool):
                r -= x
                if r <= 0:
                    break
            picked.append(pool.pop(j)[0])
        queries.append(("typed exact", " ".join(picked), a["url"]))
        bendable = [j for j, w in enumerate(picked) if inflection(w, own)]
        if bendable:
            j = rng.choice(bendable)
            bent = list(picked)
            bent[j] = inflection(picked[j], own)
            queries.append(("typed inflected", " ".join(bent), a["url"]))
        j = rng.randrange(len(picked))
        stranger = related(picked[j], own)
        if stranger:
            swapped = list(picked)
            swapped[j] = stranger
            queries.append(("typed related", " ".join(swapped), a["url"]))
        names = sorted(set(NAME.findall(" ".join(a["paragraphs"]))))
        if names:
            extra = picked[: rng.choice([1, 2])]
            queries.append(("typed name", " ".join([rng.choice(names)] + extra), a["url"]))
    return queries


def rank_of(urls, targets):
    for i, url in enumerate(urls[:10]):
        if url in targets:
            return i + 1
    return None


def copies_of(articles):
    """Each article's URL -> the URLs of it and its copies (same headline, >= 80% same words)."""
    by_headline = {}
    for a in articles:
        by_headline.setdefault(a["headline"], []).append(a)
    copies = {a["url"]: {a["url"]} for a in articles}
    for group in by_headline.values():
        vocab = [set(words(" ".join(a["paragraphs"]))) for a in group]
        for i, a in enumerate(group):
            for j, b in enumerate(group[:i]):
                if len(vocab[i] & vocab[j]) >= 0.8 * len(vocab[i] | vocab[j]):
                    copies[a["url"]].add(b["url"])
                    copies[b["url"]].add(a["url"])
    return copies


class Newsarchive:
    def __init__(self, binary, corpus):
        self.dir = tempfile.TemporaryDirectory()
        data = f"{self.dir.name}/data"
        subprocess.run([binary, "--data", data, "import", corpus], check=True, capture_output=True)
        self.log = open(f"{self.dir.name}/server.log", "w+")
        self.server = subprocess.Popen(
            [binary, "--data", data, "serve", "--listen", "127.0.0.1:0", "--search-rate-limit", "0"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = None
        for _ in range(200):
            self.log.seek(0)
            m = re.search(r"listening on (http://[0-9.:]+)", self.log.read())
            if m:
                self.base = m.group(1)
                break
            time.sleep(0.05)
        if not self.base:
            raise SystemExit("newsarchive did not start")

    def search(self, q):
        url = f"{self.base}/api/v1/search?" + urllib.parse.urlencode({"q": q, "limit": 10, "fields": "url"})
        with urllib.request.urlopen(url) as r:
            return [hit.get("url") for hit in json.load(r)["results"]]

    def close(self):
        self.server.terminate()
        self.server.wait()
        self.dir.cleanup()


class Fts5:
    def __init__(self, articles):
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(url UNINDEXED, headline, body, "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        self.db.executemany(
            "INSERT INTO docs VALUES (?, ?, ?)",
            ((a["url"], a["headline"], "\n\n".join(a["paragraphs"])) for a in articles),
        )

    def search(self, q, mode):
        terms = ['"' + t.replace('"', "") + '"' for t in q.split()]
        match = (" OR " if mode == "any" else " ").join(terms)
        rows = self.db.execute(
            "SELECT url FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10", (match,)
        ).fetchall()
        return [r[0] for r in rows]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", required=True, help="NDJSON from bench/corpus.py (the real articles)")
    ap.add_argument("--binary", default="target/release/newsarchive")
    ap.add_argument("--articles", type=int, default=300, help="articles to make queries for")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--set", choices=["distinctive", "typed", "both"], default="both",
                    help="which query set to run (default both)")
    ap.add_argument("--dump", help="also write the queries (kind, query, url) to this JSON file")
    args = ap.parse_args()

    articles = load(args.corpus)
    queries = make_queries(articles, args.articles, args.seed)
    if args.set in ("typed", "both"):
        typed = make_typed_queries(articles, args.articles, args.seed)
        queries = typed if args.set == "typed" else queries + typed
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as f:
            json.dump(queries, f, indent=0)
    copies = copies_of(articles)
    print(f"{len(articles)} articles, {len(queries)} queries", file=sys.stderr)
    engines = {"newsarchive": Newsarchive(args.binary, args.corpus)}
    fts = Fts5(articles)
    runs = {
        "newsarchive": engines["newsarchive"].search,
        "FTS5 all words": lambda q: fts.search(q, "all"),
        "FTS5 any word": lambda q: fts.search(q, "any"),
    }
    scores = {}  # (engine, kind) -> list of reciprocal ranks
    try:
        for kind, q, target in queries:
            for name, run in runs.items():
                r = rank_of(run(q), copies[target])
                scores.setdefault((name, kind), []).append(1 / r if r else 0.0)
    finally:
        engines["newsarchive"].close()

    for kinds in (
        ["exact", "inflected", "misremembered", "name"],
        ["typed exact", "typed inflected", "typed related", "typed name"],
    ):
        if not any((name, k) in scores for name in runs for k in kinds):
            continue
        kinds = kinds + ["all"]
        print("| engine | " + " | ".join(f"{k} MRR@10 / success@10" for k in kinds) + " |")
        print("| --- |" + " --- |" * len(kinds))
        for name in runs:
            cells = []
            for k in kinds:
                rr = scores.get((name, k), [])
                if k == "all":
                    rr = [x for kk in kinds[:-1] for x in scores.get((name, kk), [])]
                if not rr:
                    cells.append("n/a")
                    continue
                mrr = sum(rr) / len(rr)
                success = sum(1 for x in rr if x > 0) / len(rr)
                cells.append(f"{mrr:.3f} / {success:.3f} (n={len(rr)})")
            print(f"| {name} | " + " | ".join(cells) + " |")
        best = []
        for k in kinds:
            mrrs = []
            for name in runs:
                rr = scores.get((name, k), []) if k != "all" else [
                    x for kk in kinds[:-1] for x in scores.get((name, kk), [])]
                if name.startswith("FTS5") and rr:
                    mrrs.append(sum(rr) / len(rr))
            best.append(f"{max(mrrs):.3f}" if mrrs else "n/a")
        print("| FTS5, the better of the two per kind | " + " | ".join(best) + " |")
        print()


if __name__ == "__main__":
    main()
