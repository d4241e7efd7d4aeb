package store

import (
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
)

// A Set used to allocate its token, about 1.5 KiB for a 1 KiB value, where the
// plain store allocates 330 bytes, and a GetMany a buffer for the tokens of
// the whole batch. When it is safe, they go through pooled buffers instead: a
// Set encodes into one and hands it to go-redis, which has written it to the
// connection by the time the command returns; a GetMany copies the MGET
// replies into one and decodes them there. (A Get needs neither: go-redis's
// StringCmd.Bytes returns the reply's own memory, and Decode only reads it.)

// maxPooledToken bounds the buffers kept in tokenBufs, so that one huge value
// does not stay in memory.
const maxPooledToken = 64 << 10

var tokenBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledBatch bounds the buffers kept in batchBufs, which hold the tokens
// of a whole GetMany batch (about 150 KiB for 100 values of 1 KiB).
const maxPooledBatch = 1 << 20

var batchBufs = sync.Pool{New: func() any { return new([]byte) }}

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

// readBatchBuffer returns a pooled buffer to copy the tokens of a GetMany
// batch into (MGET replies are strings), or nil when the codec might keep a
// token's bytes: only *codec.Codec and *codec.Django are known not to (their
// values live in the decrypted plaintext).
func (s *EncryptingStore) readBatchBuffer() *[]byte {
	switch s.codec.(type) {
	case *codec.Codec, *codec.Django:
		return batchBufs.Get().(*[]byte)
	}
	return nil
}

// releaseBatch puts bp back in batchBufs holding buf, the buffer built in it.
// A nil bp is ignored.
func releaseBatch(bp *[]byte, buf []byte) {
	if bp == nil {
		return
	}
	if cap(buf) > cap(*bp) {
		*bp = buf
	}
	if cap(*bp) > maxPooledBatch {
		return
	}
	*bp = (*bp)[:0]
	batchBufs.Put(bp)
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
