"""Drives a stock Django project (settings_defaults.py) for the Go migration
proof. Usage: python3 defaultsctl.py COMMAND; REDIS_URL, PHASE,
DJANGO_SERIALIZER and REDIS_SECRET_KEY in the environment. Every command
prints one JSON document.

  settings   the CACHES dict and DJANGO_REDIS_SECURE_CACHE_NAME, as Go loads them
  write      (PHASE=before) every value the serializer stores, a few TTLs and
             a version-2 entry, and a logged-in session; prints the session
             key and what Django reads back (type, repr, TTL) from "default"
  read KEY   (PHASE=after) what Django reads from "default" now, and the
             session KEY
"""
import datetime
import decimal
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings_defaults")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402

UTC = datetime.timezone.utc

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
    "datetime_utc": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
    "datetime_naive": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456),
    "date": datetime.date(2024, 2, 29),
    "decimal": decimal.Decimal("12345.678900"),
    "timedelta": datetime.timedelta(days=1, seconds=5, microseconds=7),
}

# What each serializer cannot store, or cannot read back (msgpack's loads
# refuses int keys): django-redis itself fails on them.
UNSUPPORTED = {
    "json": {"bytes", "set", "frozenset"},
    "msgpack": {"set", "frozenset", "dict_int_keys", "datetime_utc", "datetime_naive", "date", "decimal", "timedelta"},
    "": set(),
}[os.environ.get("DJANGO_SERIALIZER", "")]

# (key, version, timeout): DEFAULT is the alias's TIMEOUT (Django's 300 s).
DEFAULT = object()
ENTRIES = [(name, 1, DEFAULT) for name in VALUES if name not in UNSUPPORTED] + [
    ("ttl:short", 1, 1000),
    ("ttl:forever", 1, None),
    ("ttl:v2", 2, 86400),
]
EXTRA = {"ttl:short": "short", "ttl:forever": "forever", "ttl:v2": "version two"}


def look(cache, key, version):
    got = cache.get(key, default=KeyError, version=version)
    if got is KeyError:
        return {"missing": True}
    return {"type": type(got).__name__, "repr": repr(got), "ttl": cache.ttl(key, version=version)}


def main(argv):
    cmd = argv[0]
    if cmd == "settings":
        return {"CACHES": settings.CACHES, "DJANGO_REDIS_SECURE_CACHE_NAME": getattr(settings, "DJANGO_REDIS_SECURE_CACHE_NAME", "default")}
    cache = caches["default"]
    if cmd == "write":
        for key, version, timeout in ENTRIES:
            value = EXTRA.get(key, VALUES.get(key))
            if timeout is DEFAULT:
                cache.set(key, value, version=version)
            else:
                cache.set(key, value, timeout=timeout, version=version)
        from django.contrib.sessions.backends.cache import SessionStore

        s = SessionStore()
        s["_auth_user_id"] = "42"
        s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        s["_auth_user_hash"] = "f" * 40
        s["cart"] = [1, 2, 3]
        s.create()
        return {
            "session": s.session_key,
            "values": {key: look(cache, key, version) for key, version, _ in ENTRIES},
            "session_ttl": cache.ttl(s.cache_key_prefix + s.session_key),
        }
    if cmd == "read":
        from django.contrib.sessions.backends.cache import SessionStore

        s = SessionStore(session_key=argv[1])
        data = s.load()
        return {
            "values": {key: look(cache, key, version) for key, version, _ in ENTRIES},
            "session": {k: repr(v) for k, v in data.items()},
            "session_key": s.session_key,
            "session_ttl": cache.ttl(s.cache_key_prefix + argv[1]),
        }
    raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
