package store

import (
	"sync"

	"github.com/redis/go-redis/v9"
)

// A Set used to allocate its token, about 1.5 KiB for a 1 KiB value, where the
// plain store allocates 330 bytes. When it is safe, a Set encodes into a
// pooled buffer instead and hands it to go-redis, which has written it to the
// connection by the time the command returns. Reads need no buffer: a Get
// decodes the reply's own memory (StringCmd.Bytes), and a GetMany the reply
// strings themselves (DecodeString), where it used to copy them, 145 KB for
// 100 values of 1 KiB, into a pooled buffer first.

// maxPooledToken bounds the buffers kept in tokenBufs, so that one huge value
// does not stay in memory.
const maxPooledToken = 64 << 10

var tokenBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// appendEncoder is a codec that appends its token to a buffer
// (*codec.Codec).
type appendEncoder interface {
	AppendEncode(dst []byte, storageKey string, value any) ([]byte, error)
}

// writeBuffer returns a pooled buffer for the token of a Set, or nil when
// the token must have memory of its own: the codec does not append, or the
// client is not a go-redis client known to have written a command's
// arguments when it returns (a wrapper might keep them, and an inner gocache
// store keeps the token itself).
func (s *EncryptingStore) writeBuffer() *[]byte {
	if _, ok := s.codec.(appendEncoder); !ok || !s.writesBeforeReturn() {
		return nil
	}
	return tokenBufs.Get().(*[]byte)
}

// stringDecoder is a codec that decodes a token held in a string, as go-redis
// returns replies, without copying it: *codec.Codec and *codec.Django.
type stringDecoder interface {
	DecodeString(storageKey, token string) (any, error)
}

// decodeString returns the codec's decoding of a token held in a string:
// its DecodeString, or Decode of a copy (the codec may keep the bytes).
func (s *EncryptingStore) decodeString() func(storageKey, token string) (any, error) {
	if d, ok := s.codec.(stringDecoder); ok {
		return d.DecodeString
	}
	return func(storageKey, token string) (any, error) {
		return s.codec.Decode(storageKey, []byte(token))
	}
}

// writesBeforeReturn reports whether the client is one of go-redis's own,
// whose commands (and pipelines) are written to the connection before they
// return.
func (s *EncryptingStore) writesBeforeReturn() bool {
	switch s.client.(type) {
	case *redis.Client, *redis.ClusterClient, *redis.Ring:
		return true
	}
	return false
}

// releaseToken puts bp back in the pool holding tok, the last slice built in
// it (possibly grown). A nil bp is ignored.
func releaseToken(bp *[]byte, tok []byte) {
	if bp == nil {
		return
	}
	if cap(tok) > cap(*bp) {
		*bp = tok
	}
	if cap(*bp) > maxPooledToken {
		return
	}
	*bp = (*bp)[:0]
	tokenBufs.Put(bp)
}
