"""Django settings of a stock project for the Go migration proof: Django's
defaults (an empty KEY_PREFIX, a django-redis alias without OPTIONS, sessions
in the cache), pointed at the test's redis-server by REDIS_URL.

DJANGO_SERIALIZER (json or msgpack) gives the plaintext alias django-redis's
JSON or msgpack SERIALIZER instead of its default pickle. PHASE=after is the
same project once it adopted django-redis-secure: the plaintext alias is
renamed "insecure", and "default" is the encrypted alias (KEY_PREFIX
"secure", REDIS_SECRET_KEY from the environment) with DATA_RECOVERY from it;
sessions stay in "default"."""
import os

SECRET_KEY = "interop-tests-only"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.sessions"]
DATABASES = {}

REDIS_URL = os.environ["REDIS_URL"]

_plain = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}
_serializer = os.environ.get("DJANGO_SERIALIZER", "")
if _serializer:
    _plain["OPTIONS"] = {
        "SERIALIZER": {
            "json": "django_redis.serializers.json.JSONSerializer",
            "msgpack": "django_redis.serializers.msgpack.MSGPackSerializer",
        }[_serializer]
    }

if os.environ.get("PHASE") == "after":
    DJANGO_REDIS_SECURE_CACHE_NAME = "default"
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "secure",
            "OPTIONS": {
                "REDIS_SECRET_KEY": os.environ["REDIS_SECRET_KEY"],
                "SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer",
                "DATA_RECOVERY": {
                    "OLD_CACHE_NAME": "insecure",
                    "OLD_KEY_PREFIX": "",
                    "CLEAR_OLD_ENTRIES": True,
                },
            },
        },
        "insecure": _plain,
    }
else:
    CACHES = {"default": _plain}

SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "default"
