package secureredis

import (
	"crypto/tls"
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
// they monitor (SENTINEL MONITOR), db the database (default 0; options.db
// may set it when the URL names none). user:password authenticate to the
// master and replicas; sentinels that require AUTH take the query options
// sentinel_username and sentinel_password. The query also takes go-redis's
// ParseURL options (dial_timeout, read_timeout, pool_size, ...).
// SentinelTLSScheme ("rediss+sentinel") is the same over TLS, to the sentinels
// and to the data nodes alike, each checked against its own host name.
// Several locations may list more sentinels; they must name the same master,
// database, credentials and options. go-redis's own form (isFailoverURL) is
// accepted too.
const SentinelScheme = "redis+sentinel"

// SentinelTLSScheme is SentinelScheme over TLS.
const SentinelTLSScheme = "rediss+sentinel"

// defaultSentinelPort is the port of a sentinel host given without one.
const defaultSentinelPort = "26379"

// isFailoverURL reports whether loc is go-redis's own Sentinel form, the one
// redis.ParseFailoverURL reads: a redis:// or rediss:// URL whose host is a
// sentinel and whose query names the master (master_name=), lists more
// sentinels (addr=) and carries the data nodes' credentials (username=,
// password=); the userinfo authenticates to the sentinels.
func isFailoverURL(loc string) bool {
	u, err := url.Parse(loc)
	return err == nil && (u.Scheme == "redis" || u.Scheme == "rediss") && u.Query().Get("master_name") != ""
}

// failoverURLTarget builds the failover options of an alias whose location
// is in go-redis's Sentinel form (isFailoverURL).
func failoverURLTarget(cc CacheConfig) (*target, *ConfigError) {
	if cc.Backend == BackendRedisCluster {
		return nil, configErr("location[0]", "a Sentinel location (master_name=) needs backend redis or redissentinel, not rediscluster")
	}
	if len(cc.Location) != 1 {
		return nil, configErr("location", "go-redis's Sentinel URL form takes one location: list more sentinels with addr=")
	}
	o, err := redis.ParseFailoverURL(cc.Location[0])
	if err != nil {
		return nil, locationErr(0, err)
	}
	if o.TLSConfig != nil {
		// No ServerName: each connection checks the host it dials (the
		// data nodes are not the sentinel the URL names).
		o.TLSConfig.ServerName = ""
	}
	o.ContextTimeoutEnabled = true
	if cc.Options.DB != nil {
		if u, err := url.Parse(cc.Location[0]); err == nil && (strings.Trim(u.Path, "/") != "" || u.Query().Has("db")) && o.DB != *cc.Options.DB {
			return nil, configErr("options.db", "database %d conflicts with database %d in the location; set it in one place", *cc.Options.DB, o.DB)
		}
		o.DB = *cc.Options.DB
	}
	key := string(cc.Backend) + "\x00sentinel\x00" + cc.Location[0] + "\x00" + strconv.Itoa(o.DB)
	return &target{failover: o, key: key}, nil
}

// isSentinelURL reports whether loc has the SentinelScheme or the
// SentinelTLSScheme.
func isSentinelURL(loc string) bool {
	scheme, _, ok := strings.Cut(loc, "://")
	return ok && (strings.EqualFold(scheme, SentinelScheme) || strings.EqualFold(scheme, SentinelTLSScheme))
}

// sentinelURL is one parsed Sentinel location.
type sentinelURL struct {
	addrs    []string
	master   string
	db       int
	dbSet    bool   // the URL names a database
	tls      bool   // SentinelTLSScheme
	userinfo string // "user:password", kept for ParseURL and comparison
	query    string // go-redis options, the sentinel_* ones removed

	sentinelUser, sentinelPassword string
}

// parseSentinelURL splits a SentinelScheme URL by hand: its host part lists
// several host:port pairs, which net/url does not accept.
func parseSentinelURL(loc string) (*sentinelURL, string) {
	scheme, rest, ok := strings.Cut(loc, "://")
	if !ok || !isSentinelURL(loc) {
		return nil, "want a " + SentinelScheme + ":// or " + SentinelTLSScheme + ":// URL"
	}
	u := &sentinelURL{tls: strings.EqualFold(scheme, SentinelTLSScheme)}
	rest, u.query, _ = strings.Cut(rest, "?")
	if strings.Contains(u.query, "#") || strings.Contains(rest, "#") {
		return nil, "fragments are not allowed"
	}
	if u.query != "" {
		q, err := url.ParseQuery(u.query)
		if err != nil {
			return nil, "invalid query"
		}
		u.sentinelUser, u.sentinelPassword = q.Get("sentinel_username"), q.Get("sentinel_password")
		q.Del("sentinel_username")
		q.Del("sentinel_password")
		u.query = q.Encode()
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
			return nil, "invalid sentinel address: want host:port (a password holding / # ? , must be percent-encoded)"
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
			return nil, "invalid database: want a number after the master name"
		}
		u.db, u.dbSet = db, true
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
			return nil, configErr(field, "backend %s takes %s:// locations only (or one redis:// URL with master_name=, go-redis's form)", cc.Backend, SentinelScheme)
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
				return nil, locationErr(i, err)
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
				SentinelUsername:      u.sentinelUser, SentinelPassword: u.sentinelPassword,
			}
			if u.tls {
				// No ServerName: each connection checks the host it dials.
				o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
		} else if u.master != first.master || u.db != first.db || u.userinfo != first.userinfo || u.query != first.query ||
			u.tls != first.tls || u.sentinelUser != first.sentinelUser || u.sentinelPassword != first.sentinelPassword {
			return nil, configErr(field, "names another master, database, credentials or options than location[0]")
		}
		o.SentinelAddrs = append(o.SentinelAddrs, u.addrs...)
	}
	if cc.Options.DB != nil {
		if first.dbSet && first.db != *cc.Options.DB {
			return nil, configErr("options.db", "database %d conflicts with database %d in the location; set it in one place", *cc.Options.DB, first.db)
		}
		o.DB = *cc.Options.DB
	}
	key := string(cc.Backend) + "\x00sentinel\x00" + strings.Join(cc.Location, "\x00") + "\x00" + strconv.Itoa(o.DB)
	return &target{failover: o, key: key}, nil
}
