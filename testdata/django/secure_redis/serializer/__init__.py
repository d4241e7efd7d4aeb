from .pickle import PickleSerializer

# django-redis-secure's first name for the same class.
SecureSerializer = PickleSerializer
