package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"
	"go.uber.org/mock/gomock"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/mocks"
	"github.com/secureredis/secureredis/store"
)

var errBoom = errors.New("boom")

func TestInnerStoreErrorsPropagate(t *testing.T) {
	ctrl := gomock.NewController(t)
	inner := mocks.NewMockStore(ctrl)
	inner.EXPECT().GetType().Return("go-cache").AnyTimes()
	s, err := store.New(inner, newCodec(t), newKeys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	inner.EXPECT().Get(ctx, "app1:secure:1:k").Return(nil, errBoom)
	if _, err := s.Get(ctx, "k"); !errors.Is(err, errBoom) {
		t.Errorf("Get = %v", err)
	}
	inner.EXPECT().GetWithTTL(ctx, "app1:secure:1:k").Return(nil, time.Duration(0), errBoom)
	if _, _, err := s.GetWithTTL(ctx, "k"); !errors.Is(err, errBoom) {
		t.Errorf("GetWithTTL = %v", err)
	}
	inner.EXPECT().Set(ctx, "app1:secure:1:k", gomock.Any(), gomock.Any()).Return(errBoom)
	if err := s.Set(ctx, "k", "v"); !errors.Is(err, errBoom) {
		t.Errorf("Set = %v", err)
	}
	inner.EXPECT().Delete(ctx, "app1:secure:1:k").Return(errBoom)
	if err := s.Delete(ctx, "k"); !errors.Is(err, errBoom) {
		t.Errorf("Delete = %v", err)
	}
	inner.EXPECT().Clear(ctx).Return(errBoom)
	if err := s.Clear(ctx); !errors.Is(err, errBoom) {
		t.Errorf("Clear = %v", err)
	}
	inner.EXPECT().Invalidate(ctx, gomock.Any()).Return(errBoom)
	if err := s.Invalidate(ctx, gocachestore.WithInvalidateTags([]string{"t"})); !errors.Is(err, errBoom) {
		t.Errorf("Invalidate = %v", err)
	}
	// A value of an unexpected type from the inner store is a miss, not a panic.
	inner.EXPECT().Get(ctx, "app1:secure:1:k").Return(12345, nil)
	if _, err := s.Get(ctx, "k"); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("Get(non-token) = %v", err)
	}
}

func TestInnerStoreSeesOnlyTokens(t *testing.T) {
	ctrl := gomock.NewController(t)
	inner := mocks.NewMockSetIfNotExistsStore(ctrl)
	inner.EXPECT().GetType().Return("go-cache").AnyTimes()
	s, err := store.New(inner, newCodec(t), newKeys(t, "app1:secure"), store.WithDefaultExpiration(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var stored []byte
	var opts *gocachestore.Options
	inner.EXPECT().SetIfNotExists(ctx, "app1:secure:1:k", gomock.Any(), gomock.Any()).
		DoAndReturn(func(_ context.Context, _ any, v any, o ...gocachestore.Option) (bool, error) {
			stored = v.([]byte)
			opts = gocachestore.ApplyOptions(o...)
			return true, nil
		})
	if ok, err := s.SetIfNotExists(ctx, "k", "s3cret"); !ok || err != nil {
		t.Fatalf("SetIfNotExists = %v, %v", ok, err)
	}
	if string(stored[:6]) != "gAAAAA" {
		t.Errorf("inner store got %q, want a Fernet token", stored)
	}
	if opts.Expiration != time.Minute {
		t.Errorf("inner store expiration = %v, want the default 1m", opts.Expiration)
	}
	inner.EXPECT().Get(ctx, "app1:secure:1:k").Return(string(stored), nil)
	if v, err := s.Get(ctx, "k"); err != nil || v != "s3cret" {
		t.Errorf("Get = %v, %v", v, err)
	}
}

// pipeline records commands the way go-redis does without a server, so a mock
// Pipelined can hand them back with injected results.
func pipeline(fn func(redis.Pipeliner) error, set func(redis.Cmder)) []redis.Cmder {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	p := c.Pipeline()
	_ = fn(p)
	cmds := p.Cmds()
	for _, cmd := range cmds {
		set(cmd)
	}
	return cmds
}

func TestClearRedisErrorHalfway(t *testing.T) {
	ctrl := gomock.NewController(t)
	client := mocks.NewMockRediser(ctrl)
	s, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	page := func(cursor uint64, keys ...string) *redis.ScanCmd {
		cmd := redis.NewScanCmd(ctx, nil)
		cmd.SetVal(keys, cursor)
		return cmd
	}
	// Each page is SCAN and INFO server in one pipeline (the run_id check of
	// store.Scanner); this server reports no run_id.
	scan := func(cursor uint64, result *redis.ScanCmd) *gomock.Call {
		return client.EXPECT().Pipelined(ctx, gomock.Any()).DoAndReturn(
			func(_ context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
				return nil, fn(scanPipe{cursor: cursor, scan: result, info: redis.NewStringResult("", errors.New("ERR no INFO"))})
			})
	}
	gomock.InOrder(
		scan(0, page(7, "app1:1:a", "app1:secure:1:x", "app10:1:y")),
		client.EXPECT().Unlink(ctx, "app1:1:a").Return(redis.NewIntResult(1, nil)),
		scan(7, page(9, "app1:1:b")),
		client.EXPECT().Unlink(ctx, "app1:1:b").Return(redis.NewIntResult(0, errBoom)),
		// no further SCAN after the error
	)
	if err := s.Clear(ctx); !errors.Is(err, errBoom) {
		t.Fatalf("Clear = %v, want the Redis error", err)
	}
	// A SCAN error surfaces too.
	scan(0, redis.NewScanCmdResult(nil, 0, errBoom))
	if err := s.Clear(ctx); !errors.Is(err, errBoom) {
		t.Fatalf("Clear = %v, want the SCAN error", err)
	}
	// A cancelled context stops before the next batch.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Clear(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Clear(cancelled) = %v", err)
	}
}

func TestGetWithTTLPipelineErrors(t *testing.T) {
	ctrl := gomock.NewController(t)
	client := mocks.NewMockRediser(ctrl)
	s, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	client.EXPECT().Pipelined(ctx, gomock.Any()).DoAndReturn(func(_ context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
		return pipeline(fn, func(c redis.Cmder) { c.SetErr(errBoom) }), errBoom
	})
	if _, _, err := s.GetWithTTL(ctx, "k"); !errors.Is(err, errBoom) {
		t.Errorf("GetWithTTL = %v, want the pipeline error", err)
	}
	client.EXPECT().Get(ctx, "app1:1:k").Return(redis.NewStringResult("", errBoom))
	if _, err := s.Get(ctx, "k"); !errors.Is(err, errBoom) || errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("Get = %v, want the Redis error, not a miss", err)
	}
	client.EXPECT().Set(ctx, "app1:1:k", gomock.Any(), time.Duration(0)).Return(redis.NewStatusResult("", errBoom))
	if err := s.Set(ctx, "k", "v"); !errors.Is(err, errBoom) {
		t.Errorf("Set = %v", err)
	}
	client.EXPECT().SetNX(ctx, "app1:1:k", gomock.Any(), time.Duration(0)).Return(redis.NewBoolResult(false, errBoom))
	if _, err := s.SetIfNotExists(ctx, "k", "v"); !errors.Is(err, errBoom) {
		t.Errorf("SetIfNotExists = %v", err)
	}
}

// scanPipe is the pipeline a mocked Pipelined hands to store.Scanner: it
// answers SCAN (checking the cursor asked for) and INFO with set results.
type scanPipe struct {
	redis.Pipeliner
	cursor uint64
	scan   *redis.ScanCmd
	info   *redis.StringCmd
}

func (p scanPipe) Scan(_ context.Context, cursor uint64, match string, count int64) *redis.ScanCmd {
	if cursor != p.cursor || match != "app1:*" || count != 1000 {
		return redis.NewScanCmdResult(nil, 0, fmt.Errorf("unexpected SCAN %d %s %d", cursor, match, count))
	}
	return p.scan
}

func (p scanPipe) Info(context.Context, ...string) *redis.StringCmd { return p.info }
