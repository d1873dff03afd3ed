"""Reads an HTML page on stdin, prints readability-lxml's summary HTML on stdout
(the scorer turns HTML output into text paragraph by paragraph)."""
import sys

from readability import Document

html = sys.stdin.buffer.read()
sys.stdout.write(Document(html).summary(html_partial=True))
