"""Parses Atom feeds with feedparser (a real feed parser) and fails on any
bozo error. Usage: check_feed.py FILE EXPECTED_ENTRIES [FILE EXPECTED_ENTRIES ...]"""
import sys

import feedparser

failed = False
args = sys.argv[1:]
for path, expected in zip(args[::2], args[1::2]):
    feed = feedparser.parse(path)
    if feed.bozo:
        print(f"{path}: not well-formed: {feed.bozo_exception}")
        failed = True
        continue
    if feed.version != "atom10":
        print(f"{path}: parsed as {feed.version!r}, not Atom 1.0")
        failed = True
    if len(feed.entries) != int(expected):
        print(f"{path}: {len(feed.entries)} entries, expected {expected}")
        failed = True
    for entry in feed.entries:
        for field in ("id", "title", "link", "updated", "summary", "content"):
            if not entry.get(field):
                print(f"{path}: entry {entry.get('id')} lacks {field}")
                failed = True
    print(f"{path}: {feed.version}, {len(feed.entries)} entries, title {feed.feed.get('title')!r}")
sys.exit(1 if failed else 0)
