package secureredis

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// target is what a Redis alias connects to.
type target struct {
	single   *redis.Options
	cluster  *redis.ClusterOptions
	failover *redis.FailoverOptions // Sentinel
	key      string                 // identifies the client: backend, locations and database
}

// databases names the Redis databases the target reaches, so that aliases on
// one database can be found whatever their other settings: "addr/db" of a
// single node, "addr/0" for each seed of a cluster, and
// "sentinel addr master/db" for each sentinel of a failover target.
func (t *target) databases() []string {
	switch {
	case t.failover != nil:
		out := make([]string, len(t.failover.SentinelAddrs))
		for i, a := range t.failover.SentinelAddrs {
			out[i] = "sentinel " + a + " " + t.failover.MasterName + "/" + strconv.Itoa(t.failover.DB)
		}
		return out
	case t.cluster != nil:
		out := make([]string, len(t.cluster.Addrs))
		for i, a := range t.cluster.Addrs {
			out[i] = a + "/0"
		}
		return out
	}
	return []string{t.single.Network + " " + t.single.Addr + "/" + strconv.Itoa(t.single.DB)}
}

// redisTarget parses the locations of a Redis alias and applies its network
// timeouts. Errors carry a Field relative to the alias ("location[1]",
// "options.db") and no password.
func redisTarget(cc CacheConfig) (*target, *ConfigError) {
	t, err := locationTarget(cc)
	if err != nil {
		return nil, err
	}
	switch {
	case t.failover != nil:
		o := t.failover
		applyTimeouts(cc.Options, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.DialerRetries)
	case t.cluster != nil:
		o := t.cluster
		applyTimeouts(cc.Options, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.DialerRetries)
	default:
		o := t.single
		applyTimeouts(cc.Options, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.DialerRetries)
	}
	// Aliases share a client only when their timeouts agree too.
	t.key += "\x00" + cc.Options.ConnectTimeout.String() + "\x00" + cc.Options.ReadTimeout.String() + "\x00" + cc.Options.WriteTimeout.String()
	return t, nil
}

// applyTimeouts sets the dial, read and write timeouts of go-redis options
// from an alias's options, when given (else the location's query options or
// go-redis's defaults stay), and, unless the location's query set
// dialer_retries, makes one dial per connection attempt: go-redis's default
// of five, each waiting up to the dial timeout, made an unreachable server
// take half a minute or more to fail. Commands still retry as MaxRetries
// says.
func applyTimeouts(opts CacheOptions, dial, read, write *time.Duration, dialerRetries *int) {
	if opts.ConnectTimeout > 0 {
		*dial = opts.ConnectTimeout
	}
	if opts.ReadTimeout > 0 {
		*read = opts.ReadTimeout
	}
	if opts.WriteTimeout > 0 {
		*write = opts.WriteTimeout
	}
	if *dialerRetries == 0 {
		*dialerRetries = 1
	}
}

// locationTarget parses the locations of a Redis alias.
func locationTarget(cc CacheConfig) (*target, *ConfigError) {
	if len(cc.Location) == 0 {
		return nil, configErr("location", "required for backend %s", cc.Backend)
	}
	for i, loc := range cc.Location {
		if strings.TrimSpace(loc) == "" {
			return nil, configErr("location["+strconv.Itoa(i)+"]", "empty")
		}
	}
	if db := cc.Options.DB; db != nil && *db < 0 {
		return nil, configErr("options.db", "must not be negative, got %d", *db)
	}
	if isFailoverURL(cc.Location[0]) {
		return failoverURLTarget(cc)
	}
	if cc.Backend == BackendRedisSentinel || isSentinelURL(cc.Location[0]) {
		return sentinelTarget(cc)
	}
	cluster := cc.Backend == BackendRedisCluster || len(cc.Location) > 1 || hasAddrParam(cc.Location[0])
	t := &target{}
	if !cluster {
		o, err := redis.ParseURL(cc.Location[0])
		if err != nil {
			return nil, locationErr(0, err)
		}
		if cc.Options.DB != nil {
			// django-redis takes the database from LOCATION; a different
			// OPTIONS.DB would have Go and Django use different databases.
			if u, err := url.Parse(cc.Location[0]); err == nil && strings.Trim(u.Path, "/") != "" && o.DB != *cc.Options.DB {
				return nil, configErr("options.db", "database %d conflicts with database %d in the location; set it in one place", *cc.Options.DB, o.DB)
			}
			o.DB = *cc.Options.DB
		}
		o.ContextTimeoutEnabled = true // a ctx deadline bounds every call
		t.single = o
		t.key = string(cc.Backend) + "\x00" + cc.Location[0] + "\x00" + strconv.Itoa(o.DB)
		return t, nil
	}
	if cc.Options.DB != nil && *cc.Options.DB != 0 {
		return nil, configErr("options.db", "a Redis Cluster has only database 0, got %d", *cc.Options.DB)
	}
	for i, loc := range cc.Location {
		o, err := redis.ParseClusterURL(loc)
		if err != nil {
			return nil, locationErr(i, err)
		}
		// ParseClusterURL ignores the path: refuse a database it would drop.
		if u, err := url.Parse(loc); err == nil && strings.Trim(u.Path, "/") != "" && strings.Trim(u.Path, "/") != "0" {
			return nil, configErr("location["+strconv.Itoa(i)+"]", "a Redis Cluster has only database 0, and the location names another (or a password holds an unencoded /)")
		}
		if i == 0 {
			t.cluster = o
			t.cluster.ContextTimeoutEnabled = true
			continue
		}
		t.cluster.Addrs = append(t.cluster.Addrs, o.Addrs...)
	}
	t.key = string(cc.Backend) + "\x00cluster\x00" + strings.Join(cc.Location, "\x00")
	return t, nil
}

func hasAddrParam(loc string) bool {
	u, err := url.Parse(loc)
	return err == nil && u.Query().Has("addr")
}

// locationErr reports a URL go-redis refused. Its message is ours, chosen by
// the kind of error: go-redis's and net/url's quote parts of the URL, which
// in a malformed one (a password holding "/", "#", "?" or "@") may be part
// of the password.
func locationErr(i int, err error) *ConfigError {
	return configErr("location["+strconv.Itoa(i)+"]", "%s", locationReason(err))
}

func locationReason(err error) string {
	const encode = ` (characters such as / # ? @ , ; in a password must be percent-encoded)`
	var ue *url.Error
	if errors.As(err, &ue) {
		return "not a URL" + encode
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "invalid URL scheme"):
		return "unsupported scheme (want redis://, rediss://, unix://, " + SentinelScheme + ":// or " + SentinelTLSScheme + "://)"
	case strings.Contains(msg, "invalid database number"), strings.Contains(msg, "invalid URL path"):
		return "invalid path: want /db, a database number" + encode
	case strings.Contains(msg, "empty unix socket path"):
		return "empty unix socket path"
	case strings.Contains(msg, "unexpected option"):
		return "unknown query option (want go-redis's ParseURL options)"
	case strings.Contains(msg, "addr param"):
		return "invalid addr query option"
	case strings.HasPrefix(msg, "redis: invalid "):
		// "redis: invalid dial_timeout duration: ...": the option name is
		// go-redis's own.
		if name, _, ok := strings.Cut(strings.TrimPrefix(msg, "redis: invalid "), " "); ok && plausibleName(name) {
			return "invalid value of query option " + name
		}
	}
	return "not a Redis URL go-redis accepts" + encode
}
