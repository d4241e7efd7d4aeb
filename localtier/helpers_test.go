package localtier_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/localtier"
	"github.com/secureredis/secureredis/sessions"
	"github.com/secureredis/secureredis/store"
)

const (
	prefix = "tier"
	// Environment of a child process (TestChild): the Redis address, or the
	// sentinels' addresses separated by commas.
	envAddr      = "LOCALTIER_CHILD_ADDR"
	envSentinels = "LOCALTIER_CHILD_SENTINELS"
)

func TestMain(m *testing.M) {
	redis.SetLogger(nopLogger{}) // go-redis logs every reconnection
	os.Exit(m.Run())
}

type nopLogger struct{}

func (nopLogger) Printf(context.Context, string, ...any) {}

// instance is one application instance: a tier-backed store (and a session
// store over it).
type instance struct {
	tier     *localtier.Client
	st       *store.EncryptingStore
	sessions *sessions.Store
}

func newInstance(tb testing.TB, client *redis.Client, opts ...localtier.Option) *instance {
	tb.Helper()
	keys := testkit.Keys(tb, prefix)
	tier, err := localtier.New(client, keys.Prefix()+":", opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = tier.Close() })
	st, err := store.NewRedis(tier, testkit.Codec(tb), keys)
	if err != nil {
		tb.Fatal(err)
	}
	ss, err := sessions.New(st)
	if err != nil {
		tb.Fatal(err)
	}
	return &instance{tier: tier, st: st, sessions: ss}
}

// waitTracking waits until the instance's tier tracks invalidations.
func (in *instance) waitTracking(tb testing.TB) {
	tb.Helper()
	testkit.Eventually(tb, func() bool { return in.tier.Stats().Tracking }, "tier never tracking")
}

// get returns the value of key, "" for a miss.
func (in *instance) get(ctx context.Context, key string) (string, error) {
	v, err := in.st.Get(ctx, key)
	if errors.Is(err, gocachestore.NotFound{}) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("value of type %T", v)
	}
	return s, nil
}

// child is another process of the test binary running TestChild: an
// instance driven over pipes, one command and one answer per line.
type child struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startChild(tb testing.TB, env string) *child {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), env)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	tb.Cleanup(func() {
		_ = in.Close()
		_ = cmd.Wait()
	})
	c.do(tb, "ready")
	return c
}

// do sends one command and returns the child's answer; an error answer
// fails tb.
func (c *child) do(tb testing.TB, line string) string {
	tb.Helper()
	ans := c.try(tb, line)
	if strings.HasPrefix(ans, "err ") {
		tb.Fatalf("child: %s: %s", line, ans)
	}
	return ans
}

// try is do that returns an error answer ("err ...") too.
func (c *child) try(tb testing.TB, line string) string {
	tb.Helper()
	if _, err := io.WriteString(c.in, line+"\n"); err != nil {
		tb.Fatalf("child: write %q: %v", line, err)
	}
	for c.out.Scan() {
		if ans, ok := strings.CutPrefix(c.out.Text(), "R:"); ok {
			return ans
		}
	}
	tb.Fatalf("child: no answer to %q: %v", line, c.out.Err())
	return ""
}

// TestChild is the body of a child process; run directly, it does nothing.
// Commands: ready, set KEY VALUE, del KEY, get KEY (answers "val V" or
// "miss"), sync, commit TOKEN DATA, revoke TOKEN, find TOKEN, stats.
func TestChild(t *testing.T) {
	addr, sentinels := os.Getenv(envAddr), os.Getenv(envSentinels)
	var client *redis.Client
	switch {
	case addr != "":
		client = redis.NewClient(&redis.Options{Addr: addr})
	case sentinels != "":
		client = redis.NewFailoverClient(&redis.FailoverOptions{MasterName: redistest.MasterName,
			SentinelAddrs: strings.Split(sentinels, ",")})
	default:
		return // not a child
	}
	defer client.Close()
	in := newInstance(t, client)
	ctx := context.Background()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		ans, err := "ok", error(nil)
		switch {
		case len(f) == 1 && f[0] == "ready":
			in.waitTracking(t)
		case len(f) == 3 && f[0] == "set":
			err = in.st.Set(ctx, f[1], f[2])
		case len(f) == 2 && f[0] == "del":
			err = in.st.Delete(ctx, f[1])
		case len(f) == 2 && f[0] == "get":
			var v string
			if v, err = in.get(ctx, f[1]); v == "" {
				ans = "miss"
			} else {
				ans = "val " + v
			}
		case len(f) == 1 && f[0] == "sync":
			err = in.tier.Sync(ctx)
		case len(f) == 3 && f[0] == "commit":
			err = in.sessions.CommitCtx(ctx, f[1], []byte(f[2]), time.Now().Add(time.Hour))
		case len(f) == 2 && f[0] == "revoke":
			err = in.sessions.DeleteCtx(ctx, f[1])
		case len(f) == 2 && f[0] == "find":
			var data []byte
			var found bool
			if data, found, err = in.sessions.FindCtx(ctx, f[1]); found {
				ans = "found " + string(data)
			} else {
				ans = "refused"
			}
		case len(f) == 1 && f[0] == "stats":
			s := in.tier.Stats()
			ans = fmt.Sprintf("hits=%d misses=%d", s.Hits, s.Misses)
		default:
			err = fmt.Errorf("unknown command %q", sc.Text())
		}
		if err != nil {
			ans = "err " + strings.ReplaceAll(err.Error(), "\n", " ")
		}
		fmt.Println("R:" + ans)
	}
}

// localtierExpiry is gocache's expiration option (0: no expiry).
func localtierExpiry(d time.Duration) gocachestore.Option { return gocachestore.WithExpiration(d) }

func timeNowPlusHour() time.Time { return time.Now().Add(time.Hour) }
