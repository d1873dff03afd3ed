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
