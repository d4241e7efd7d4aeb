"""Drives Django's cache API, operation by operation, for the Go tests of the
Django cache API (django_api_test.go). Settings as for djangoctl.py.

Usage: python3 apictl.py ALIAS OPS_JSON
OPS_JSON is a list of [method, [args...], {kwargs}] run in order on
caches[ALIAS]: "incr", "ttl", "touch", "iter_keys" (listed), "delete_pattern",
"get_or_set", "incr_version", "get", "set", ...; and ["incr_loop", [key, n]]
which calls incr(key) n times. Prints a JSON list with one result per
operation: {"value": ...} (repr for what JSON cannot hold, with its "type") or
{"error": "ExceptionName"}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django  # noqa: E402

django.setup()

from django.core.cache import caches  # noqa: E402


def result(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return {"value": v, "type": type(v).__name__}
    if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
        return {"value": sorted(v), "type": "list"}
    return {"value": repr(v), "type": type(v).__name__}


def run(cache, op):
    name, args, kwargs = op[0], op[1] if len(op) > 1 else [], op[2] if len(op) > 2 else {}
    if name == "incr_loop":
        key, n = args
        for _ in range(n):
            cache.incr(key)
        return None
    v = getattr(cache, name)(*args, **kwargs)
    if name == "iter_keys":
        v = list(v)
    return v


def main(argv):
    cache = caches[argv[0]]
    out = []
    for op in json.loads(argv[1]):
        try:
            out.append(result(run(cache, op)))
        except Exception as e:  # reported to the Go side by name
            out.append({"error": type(e).__name__})
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
