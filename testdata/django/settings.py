"""Django settings for the Go interoperability tests: the original README's
CACHES (a django-redis-secure "default" alias with DATA_RECOVERY from the
plaintext "insecure" alias), pointed at the test's redis-server by
REDIS_URL, with REDIS_SECRET_KEY from the environment. DJANGO_COMPRESSOR
(a django-redis compressor class) applies to both aliases when set."""
import os

SECRET_KEY = "interop-tests-only"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.sessions"]
DATABASES = {}

REDIS_URL = os.environ["REDIS_URL"]
# django-redis 5 ignores OPTIONS["DB"] (the Go loader honours it): the tests
# put the database in REDIS_URL too, so both sides use database 1.
_opts = {"DB": 1}
if os.environ.get("DJANGO_COMPRESSOR"):
    _opts["COMPRESSOR"] = os.environ["DJANGO_COMPRESSOR"]

DJANGO_REDIS_SECURE_CACHE_NAME = "default"
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": dict(
            _opts,
            REDIS_SECRET_KEY=os.environ["REDIS_SECRET_KEY"],
            SERIALIZER="secure_redis.serializer.pickle.PickleSerializer",
            DATA_RECOVERY={
                "OLD_KEY_PREFIX": "app1",
                "OLD_CACHE_NAME": "insecure",
                "CLEAR_OLD_ENTRIES": False,
            },
        ),
        "KEY_PREFIX": "app1:secure",
        "TIMEOUT": 60 * 60 * 24,
    },
    "insecure": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": dict(_opts),
        "KEY_PREFIX": "app1",
        "TIMEOUT": 60 * 60 * 24,
    },
}

SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "default"
