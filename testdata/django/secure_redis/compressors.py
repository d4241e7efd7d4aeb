"""django-redis compressors that Debian's django-redis 5.2 lacks or whose
Python module Debian does not package, with django-redis's semantics:
GzipCompressor is django-redis 5.3's; ZStdCompressor reads and writes the
same zstd frames as django-redis's (pyzstd) through python3-zstandard."""
import gzip

import zstandard
from django_redis.compressors.base import BaseCompressor
from django_redis.exceptions import CompressorError


class GzipCompressor(BaseCompressor):
    min_length = 15

    def compress(self, value):
        if len(value) > self.min_length:
            return gzip.compress(value)
        return value

    def decompress(self, value):
        try:
            return gzip.decompress(value)
        except gzip.BadGzipFile as e:
            raise CompressorError(e)


class ZStdCompressor(BaseCompressor):
    min_length = 15

    def compress(self, value):
        if len(value) > self.min_length:
            return zstandard.ZstdCompressor(write_content_size=True).compress(value)
        return value

    def decompress(self, value):
        try:
            return zstandard.ZstdDecompressor().decompressobj().decompress(value)
        except zstandard.ZstdError as e:
            raise CompressorError(e)
