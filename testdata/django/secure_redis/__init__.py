"""A stand-in for django-redis-secure (Shopify/django-redis-secure), which
Debian does not package: the same serializer and client, so that the Go
tests run against what that package stores. Not a copy of its code."""
