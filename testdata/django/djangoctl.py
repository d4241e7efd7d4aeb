"""Drives the real Django cache API for the Go interoperability tests.

Usage: python3 djangoctl.py COMMAND [ARGS...]; settings come from settings.py
beside this file (REDIS_URL, REDIS_SECRET_KEY, DJANGO_COMPRESSOR in the
environment). Every command prints one JSON document on stdout.

  write ALIAS PREFIX            cache.set(PREFIX+name, value) for every value
  write-recovery                the insecure alias's entries for the migration
  check ALIAS PREFIX NAME...    read PREFIX+name back; compare with the value
  check-recovery                read the migrated entries from the secure alias
  session-create                a logged-in session; prints its key
  session-read KEY              the session dict (repr of each item)
  pickle NAME                   hex of pickle.dumps(value), protocol 4
  bench N                       single-thread set/get/get_many ops per second
"""
import datetime
import decimal
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django  # noqa: E402

django.setup()

import pickle  # noqa: E402

import pytz  # noqa: E402
from django.core.cache import caches  # noqa: E402

UTC = datetime.timezone.utc

# The values each direction checks; the Go tests hold the same table.
VALUES = {
    "str": "héllo wörld ✓",
    "str_1k": "x" * 1024,
    "bytes": b"\x00\x01\xffbin",
    "int": 42,
    "int_neg": -7,
    "int_big": 2**100,
    "float": 3.25,
    "bool_true": True,
    "bool_false": False,
    "none": None,
    "list": [1, "two", [3.0, None]],
    "tuple": (1, "a"),
    "dict": {"a": 1, "nested": {"b": [1, 2], "c": None}},
    "dict_int_keys": {1: "one", 2: "two"},
    "set": {1, 2, 3},
    "frozenset": frozenset({"a"}),
    "datetime_naive": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456),
    "datetime_utc": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
    "datetime_pytz": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=pytz.utc),
    "datetime_offset": datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
    "date": datetime.date(2024, 2, 29),
    "decimal": decimal.Decimal("12345.678900"),
    "timedelta": datetime.timedelta(days=1, seconds=5, microseconds=7),
}

# Migration entries: (key, version, timeout); the value is VALUES[name].
# None included: a cached None must survive the migration as None.
RECOVERY = [("m:" + name, 1, 86400) for name in VALUES] + [
    ("m:short", 1, 1000),
    ("m:forever", 1, None),
    ("m:v2", 2, 86400),
]
RECOVERY_VALUE = {"m:short": "short", "m:forever": "forever", "m:v2": "version two"}


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, datetime.datetime):
        return a == b and (a.tzinfo is None) == (b.tzinfo is None) and a.utcoffset() == b.utcoffset()
    if isinstance(a, decimal.Decimal):
        return str(a) == str(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def report(cache, key, version, want):
    got = cache.get(key, default=KeyError, version=version)
    if got is KeyError:
        return {"ok": False, "missing": True}
    return {
        "ok": same(got, want),
        "type": type(got).__name__,
        "repr": repr(got),
        "ttl": cache.ttl(key, version=version),
    }


def main(argv):
    cmd = argv[0]
    if cmd == "write":
        cache, prefix = caches[argv[1]], argv[2]
        for name, value in VALUES.items():
            cache.set(prefix + name, value)
        return {"written": len(VALUES)}
    if cmd == "write-recovery":
        cache = caches["insecure"]
        for key, version, timeout in RECOVERY:
            value = RECOVERY_VALUE.get(key, VALUES.get(key[2:]))
            cache.set(key, value, timeout=timeout, version=version)
        return {"written": len(RECOVERY)}
    if cmd == "check":
        cache, prefix = caches[argv[1]], argv[2]
        return {name: report(cache, prefix + name, None, VALUES[name]) for name in argv[3:]}
    if cmd == "check-recovery":
        cache = caches["default"]
        out = {}
        for key, version, timeout in RECOVERY:
            r = report(cache, key, version, RECOVERY_VALUE.get(key, VALUES.get(key[2:])))
            r["want_ttl"] = timeout
            out[key] = r
        return out
    if cmd == "session-create":
        from django.contrib.sessions.backends.cache import SessionStore

        s = SessionStore()
        s["_auth_user_id"] = "42"
        s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        s["cart"] = [1, 2, 3]
        s.create()
        return {"key": s.session_key}
    if cmd == "session-read":
        from django.contrib.sessions.backends.cache import SessionStore

        s = SessionStore(session_key=argv[1])
        data = s.load()
        cache = caches["default"]
        return {
            "exists": s.exists(argv[1]),
            "data": {k: repr(v) for k, v in data.items()},
            "ttl": cache.ttl(s.cache_key_prefix + argv[1]),
        }
    if cmd == "pickle":
        return {"hex": pickle.dumps(VALUES[argv[1]], 4).hex()}
    if cmd == "bench":
        return bench(int(argv[1]))
    raise SystemExit("unknown command " + cmd)


def bench(n):
    cache = caches["default"]
    value = "x" * 1024
    keys = ["bench:%d" % i for i in range(100)]
    out = {}
    t = time.perf_counter()
    for i in range(n):
        cache.set(keys[i % 100], value)
    out["set_per_s"] = n / (time.perf_counter() - t)
    t = time.perf_counter()
    for i in range(n):
        cache.get(keys[i % 100])
    out["get_per_s"] = n / (time.perf_counter() - t)
    batches = max(1, n // 100)
    t = time.perf_counter()
    for _ in range(batches):
        got = cache.get_many(keys)
        assert len(got) == 100
    out["get_many_keys_per_s"] = batches * 100 / (time.perf_counter() - t)
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
