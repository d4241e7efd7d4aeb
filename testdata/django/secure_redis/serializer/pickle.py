"""django-redis-secure's serializer: django-redis's pickle, then Fernet with
OPTIONS["REDIS_SECRET_KEY"] (a key, or a list of keys: the first encrypts,
all decrypt)."""
from cryptography.fernet import Fernet, MultiFernet
from django_redis.serializers.pickle import PickleSerializer as _Pickle


class PickleSerializer(_Pickle):
    def __init__(self, options):
        super().__init__(options)
        keys = options.get("REDIS_SECRET_KEY")
        if isinstance(keys, str):
            keys = [keys]
        self.crypter = MultiFernet([Fernet(k.encode("utf-8")) for k in keys])

    def dumps(self, value):
        return self.crypter.encrypt(super().dumps(value))

    def loads(self, value):
        return super().loads(self.crypter.decrypt(value))
