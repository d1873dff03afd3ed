#!/usr/bin/env python3
"""Checks a corpus written by corpus.py against the archive's import format.

    python3 bench/check_corpus.py FILE.ndjson [QUERIES.json]

Every line must be a JSON object with only the import fields, no null or empty
strings, http(s) URLs and ISO 8601 UTC dates. Prints counts (sources, authors,
tags, sections, years, duplicate URLs and bodies), the median word count and the
number of distinct words (split at non-alphanumerics, lowercased, accents
folded, as the archive's exact analyzer does), and, given the query set, how
many articles each word, name and phrase query matches. Exits 1 on any error.
"""

import collections
import datetime as dt
import hashlib
import json
import re
import sys
import unicodedata

FIELDS = {"headline", "subheading", "authors", "source", "url", "published_at",
          "section", "tags", "language", "paragraphs"}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
URL = re.compile(r"https?://[^\s/]+\.[^\s/]+(/\S*)?")
WORD = re.compile(r"\w+")


def fold(w):
    w = unicodedata.normalize("NFKD", w.lower())
    return "".join(c for c in w if not unicodedata.combining(c))


def problems_of(a):
    p = []
    extra = set(a) - FIELDS
    if extra:
        p.append(f"unknown fields {sorted(extra)}")
    for k, v in a.items():
        if v is None or v == "" or v == []:
            p.append(f"{k} is empty or null")
    h = a.get("headline")
    if not isinstance(h, str) or not h.strip() or len(h) > 1000:
        p.append("headline missing or too long")
    if "subheading" in a and not isinstance(a["subheading"], str):
        p.append("subheading not a string")
    for k in ("authors", "tags"):
        if k in a and not (isinstance(a[k], list) and all(isinstance(x, str) and x.strip() for x in a[k])):
            p.append(f"{k} not a list of strings")
    s = a.get("source")
    if s is not None:
        if isinstance(s, dict):
            if set(s) - {"name", "site"} or not isinstance(s.get("name"), str) or not s["name"]:
                p.append("bad source object")
            elif "site" in s and not URL.fullmatch(s["site"]):
                p.append("bad source.site")
        elif not isinstance(s, str):
            p.append("bad source")
    if "url" in a and not (isinstance(a["url"], str) and URL.fullmatch(a["url"])):
        p.append("bad url")
    if "published_at" in a:
        d = a["published_at"]
        try:
            if not DATE.fullmatch(d):
                raise ValueError
            dt.datetime.strptime(d, "%Y-%m-%dT%H:%M:%SZ")
        except (ValueError, TypeError):
            p.append(f"bad published_at {d!r}")
    if "language" in a and a["language"] != "en":
        p.append("language is not en")
    ps = a.get("paragraphs")
    if not (isinstance(ps, list) and ps and all(isinstance(x, str) and x.strip() for x in ps)):
        p.append("paragraphs missing or empty")
    elif len(ps) > 10000:
        p.append("too many paragraphs")
    return p


def main():
    path = sys.argv[1]
    errors = 0
    n = 0
    sources, authors, tags, sections, years = (collections.Counter() for _ in range(5))
    urls, bodies = collections.Counter(), collections.Counter()
    word_counts = []
    vocab = set()
    docs_text = []
    want_text = len(sys.argv) > 2
    with open(path, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            n += 1
            try:
                a = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"line {ln}: not JSON: {e}")
                errors += 1
                continue
            if not isinstance(a, dict):
                print(f"line {ln}: not an object")
                errors += 1
                continue
            for p in problems_of(a):
                if errors < 20:
                    print(f"line {ln}: {p}")
                errors += 1
            s = a.get("source")
            sources[s["name"] if isinstance(s, dict) else s] += 1
            authors.update(a.get("authors", ()))
            tags.update(a.get("tags", ()))
            sections[a.get("section")] += 1
            years[a.get("published_at", "none")[:4]] += 1
            urls[a.get("url")] += 1
            paras = a.get("paragraphs", [])
            bodies[hashlib.sha256("\n\n".join(paras).encode()).hexdigest()] += 1
            word_counts.append(sum(1 for p in paras for w in p.split() if any(c.isalnum() for c in w)))
            text = " ".join([a.get("headline", ""), a.get("subheading", "")] + paras)
            vocab.update(WORD.findall(text))
            if want_text:
                docs_text.append(text)
    word_counts.sort()
    folded = {fold(w) for w in vocab}
    print(f"{n:,} articles, {errors} errors")
    print(f"median words {word_counts[len(word_counts) // 2] if word_counts else 0}, "
          f"distinct words {len(folded):,}")
    print(f"sources {len(sources)}, authors {len(authors):,}, tags {len(tags)}, "
          f"sections {len(sections)}")
    print("years", dict(sorted(years.items())))
    print(f"duplicate URLs {sum(c - 1 for c in urls.values() if c > 1)}, "
          f"duplicate bodies {sum(c - 1 for c in bodies.values() if c > 1)}")
    if want_text:
        qdoc = json.load(open(sys.argv[2], encoding="utf-8"))
        qs = qdoc["queries"] if isinstance(qdoc, dict) else qdoc
        kinds = collections.Counter(q["kind"] for q in qs)
        print(f"{len(qs)} queries: {dict(kinds)}; facets wanted by {sum(q['facets'] for q in qs)}")
        ids = [q["id"] for q in qs]
        if len(set(ids)) != len(ids):
            print("duplicate query ids")
            errors += 1
        lowered = [fold(t) for t in docs_text]
        for q in qs:
            if set(q) - {"id", "kind", "q", "from", "to", "facets"} or len(q["q"]) > 1000:
                print(f"bad query entry {q}")
                errors += 1
            if q["kind"] in ("common_word", "rare_word", "name", "phrase"):
                needle = fold(q["q"].strip('"'))
                pat = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, WORD.findall(needle))) + r"(?!\w)")
                hits = sum(1 for t in lowered if pat.search(t))
                if hits == 0:
                    print(f"query {q['id']} {q['q']!r} matches nothing")
                    errors += 1
                q["_hits"] = hits
        for kind in ("common_word", "rare_word", "name", "phrase"):
            hs = sorted(q["_hits"] for q in qs if q["kind"] == kind)
            if hs:
                print(f"  {kind}: articles matched min {hs[0]}, median {hs[len(hs) // 2]}, max {hs[-1]}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
