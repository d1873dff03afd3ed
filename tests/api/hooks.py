"""Schemathesis hooks for newsarchive: how to send an NDJSON body.

`POST /api/v1/import` reads NDJSON, one JSON value per line. Schemathesis has
no NDJSON serializer of its own: a generated list becomes one line per item,
a string is sent as it is, anything else becomes a single line.
"""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, list):
        return "\n".join(json.dumps(item) for item in value).encode("utf-8")
    return json.dumps(value).encode("utf-8")


# Schemathesis 4.32.5 (the newest release) reads every string of a 2xx JSON
# answer as a possible link, and `urllib.parse.urlsplit` raises ValueError on
# one such as "http://[x" (an echoed query or headline), which ends the whole
# run with an internal error. A string that is no URL is no link: skip it.
from schemathesis.engine import observations as _observations

_same_origin_path = _observations._same_origin_path


def _same_origin_path_or_none(value, origin):
    try:
        return _same_origin_path(value, origin)
    except ValueError:
        return None


_observations._same_origin_path = _same_origin_path_or_none
