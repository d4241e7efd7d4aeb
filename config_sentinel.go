package secureredis

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// SentinelScheme is the URL scheme of a Sentinel location:
//
//	redis+sentinel://[user:password@]host:port[,host:port...]/mastername[/db][?option=value...]
//
// The hosts are sentinels (port 26379 when omitted), mastername is the name
// they monitor (SENTINEL MONITOR), db the database (default 0, overridden by
// options.db). user:password authenticate to the master and replicas, not to
// the sentinels, which must not require AUTH. The query takes go-redis's
// ParseURL options (dial_timeout, read_timeout, pool_size, ...). TLS is not
// supported. Several locations may list more sentinels; they must name the
// same master, database and credentials.
const SentinelScheme = "redis+sentinel"

// defaultSentinelPort is the port of a sentinel host given without one.
const defaultSentinelPort = "26379"

// isSentinelURL reports whether loc has the SentinelScheme.
func isSentinelURL(loc string) bool {
	scheme, _, ok := strings.Cut(loc, "://")
	return ok && strings.EqualFold(scheme, SentinelScheme)
}

// sentinelURL is one parsed Sentinel location.
type sentinelURL struct {
	addrs    []string
	master   string
	db       int
	userinfo string // "user:password", kept for ParseURL and comparison
	query    string
}

// parseSentinelURL splits a SentinelScheme URL by hand: its host part lists
// several host:port pairs, which net/url does not accept.
func parseSentinelURL(loc string) (*sentinelURL, string) {
	scheme, rest, ok := strings.Cut(loc, "://")
	if !ok || !strings.EqualFold(scheme, SentinelScheme) {
		return nil, "want a " + SentinelScheme + ":// URL"
	}
	u := &sentinelURL{}
	rest, u.query, _ = strings.Cut(rest, "?")
	if strings.Contains(u.query, "#") || strings.Contains(rest, "#") {
		return nil, "fragments are not allowed"
	}
	hosts, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(hosts, "@"); at >= 0 {
		u.userinfo, hosts = hosts[:at], hosts[at+1:]
	}
	for h := range strings.SplitSeq(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, "empty sentinel address"
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil { // no port: the default one
			host, port, err = net.SplitHostPort(net.JoinHostPort(strings.Trim(h, "[]"), defaultSentinelPort))
		}
		if p, perr := strconv.Atoi(port); err != nil || perr != nil || p <= 0 || p > 65535 || host == "" {
			return nil, "invalid sentinel address " + strconv.Quote(h)
		}
		u.addrs = append(u.addrs, net.JoinHostPort(host, port))
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 0 || parts[0] == "" {
		return nil, "missing the master name: " + SentinelScheme + "://host:port/mastername[/db]"
	}
	if len(parts) > 2 {
		return nil, "too many path segments: want /mastername[/db]"
	}
	master, err := url.PathUnescape(parts[0])
	if err != nil {
		return nil, "invalid master name"
	}
	u.master = master
	if len(parts) == 2 {
		db, err := strconv.Atoi(parts[1])
		if err != nil || db < 0 {
			return nil, "invalid database " + strconv.Quote(parts[1])
		}
		u.db = db
	}
	return u, ""
}

// sentinelTarget builds the failover options of a Sentinel alias from its
// locations. Errors carry a Field relative to the alias and no password.
func sentinelTarget(cc CacheConfig) (*target, *ConfigError) {
	if cc.Backend == BackendRedisCluster {
		return nil, configErr("location[0]", "a %s:// location needs backend redis or redissentinel, not rediscluster", SentinelScheme)
	}
	var first *sentinelURL
	o := &redis.FailoverOptions{}
	for i, loc := range cc.Location {
		field := "location[" + strconv.Itoa(i) + "]"
		if !isSentinelURL(loc) {
			return nil, configErr(field, "backend %s takes %s:// locations only", cc.Backend, SentinelScheme)
		}
		u, msg := parseSentinelURL(loc)
		if msg != "" {
			return nil, configErr(field, "%s", msg)
		}
		if first == nil {
			first = u
			// go-redis's own parser reads the credentials, database and
			// query options of the data nodes.
			ru := "redis://" + u.addrs[0] + "/" + strconv.Itoa(u.db)
			if u.userinfo != "" {
				ru = "redis://" + u.userinfo + "@" + u.addrs[0] + "/" + strconv.Itoa(u.db)
			}
			if u.query != "" {
				ru += "?" + u.query
			}
			p, err := redis.ParseURL(ru)
			if err != nil {
				return nil, locationErr(i, loc, err)
			}
			o = &redis.FailoverOptions{
				MasterName: u.master, ClientName: p.ClientName,
				Protocol: p.Protocol, Username: p.Username, Password: p.Password, DB: p.DB,
				MaxRetries: p.MaxRetries, MinRetryBackoff: p.MinRetryBackoff, MaxRetryBackoff: p.MaxRetryBackoff,
				DialTimeout: p.DialTimeout, ReadTimeout: p.ReadTimeout, WriteTimeout: p.WriteTimeout,
				PoolFIFO: p.PoolFIFO, PoolSize: p.PoolSize, PoolTimeout: p.PoolTimeout,
				MinIdleConns: p.MinIdleConns, MaxIdleConns: p.MaxIdleConns, MaxActiveConns: p.MaxActiveConns,
				ConnMaxIdleTime: p.ConnMaxIdleTime, ConnMaxLifetime: p.ConnMaxLifetime,
				ContextTimeoutEnabled: true,
			}
		} else if u.master != first.master || u.db != first.db || u.userinfo != first.userinfo || u.query != first.query {
			return nil, configErr(field, "names another master, database, credentials or options than location[0]")
		}
		o.SentinelAddrs = append(o.SentinelAddrs, u.addrs...)
	}
	if cc.Options.DB != nil {
		o.DB = *cc.Options.DB
	}
	key := cc.Backend + "\x00sentinel\x00" + strings.Join(cc.Location, "\x00") + "\x00" + strconv.Itoa(o.DB)
	return &target{failover: o, key: key}, nil
}
