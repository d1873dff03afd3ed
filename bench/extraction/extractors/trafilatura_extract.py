"""Reads an HTML page on stdin, prints trafilatura's main text on stdout."""
import sys

import trafilatura

html = sys.stdin.buffer.read()
text = trafilatura.extract(html, include_comments=False, include_tables=True)
sys.stdout.write(text or "")
