from django_redis.client.default import DefaultClient


class UnsupportedOperation(Exception):
    pass


class SecureDjangoRedisClient(DefaultClient):
    """django-redis's client with the secure serializer forced on."""

    def __init__(self, server, params, backend):
        options = params.get("OPTIONS", {})
        options["SERIALIZER"] = "secure_redis.serializer.pickle.PickleSerializer"
        params["OPTIONS"] = options
        super().__init__(server, params, backend)

    def _incr(self, key, delta=1, version=None, client=None):
        raise UnsupportedOperation()
