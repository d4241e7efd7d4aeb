package store_test

import (
	"github.com/secureredis/secureredis/internal/testkit"
)

// Shared test keys and constructors.
const (
	testKey  = testkit.Key
	otherKey = testkit.OtherKey
)

var (
	newCodec = testkit.Codec
	newKeys  = testkit.Keys
)
