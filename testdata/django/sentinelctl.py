"""Proves that a CACHES dict in django-redis's Sentinel form works in Django.

Usage: python3 sentinelctl.py CACHES_JSON set KEY VALUE | get KEY
CACHES_JSON is the path of a JSON file holding the CACHES dict the Go test
also loads (REDIS_SECRET_KEY in the environment). django-redis 5.3 and later
read OPTIONS.CONNECTION_FACTORY; earlier ones only the
DJANGO_REDIS_CONNECTION_FACTORY setting, so it is set too. Prints one JSON
document on stdout.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import django  # noqa: E402
from django.conf import settings  # noqa: E402


def main(argv):
    with open(argv[0]) as f:
        caches = json.load(f)["CACHES"]
    for alias in caches.values():
        opts = alias.get("OPTIONS", {})
        if "REDIS_SECRET_KEY" in opts:
            opts["REDIS_SECRET_KEY"] = os.environ["REDIS_SECRET_KEY"]
        # JSON has no tuples: redis-py's Sentinel takes (host, port) pairs.
        opts["SENTINELS"] = [tuple(s) for s in opts.get("SENTINELS", [])]
    settings.configure(
        CACHES=caches,
        DJANGO_REDIS_CONNECTION_FACTORY="django_redis.pool.SentinelConnectionFactory",
    )
    django.setup()
    from django.core.cache import caches as django_caches

    cache = django_caches["default"]
    if argv[1] == "set":
        cache.set(argv[2], argv[3])
        return {"ok": True}
    return {"value": cache.get(argv[2])}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
