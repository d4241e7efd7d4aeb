package secureredis

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// django-redis's Sentinel classes: the client and the connection factory
// (OPTIONS.CONNECTION_FACTORY in django-redis 5.3 and later, the
// DJANGO_REDIS_CONNECTION_FACTORY setting before).
const (
	djangoSentinelClient  = "django_redis.client.SentinelClient"
	djangoSentinelFactory = "django_redis.pool.SentinelConnectionFactory"
)

// djangoSentinel is what an alias's OPTIONS say about Sentinel.
type djangoSentinel struct {
	addrs          []string // OPTIONS.SENTINELS, as host:port
	set            bool     // SENTINELS was given
	user, password string   // OPTIONS.SENTINEL_KWARGS username and password
	wantedBy       string   // the path of a CLIENT_CLASS or CONNECTION_FACTORY naming Sentinel
}

// sentinels reads OPTIONS.SENTINELS: a list of [host, port] pairs (redis-py's
// Sentinel takes (host, port) tuples, which JSON dumps as lists).
func (p *parser) sentinels(n *yaml.Node, path string, ds *djangoSentinel) error {
	n = deref(n)
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return configErr(path, "want a non-empty list of [host, port] pairs")
	}
	ds.set = true
	for i, e := range n.Content {
		ep := path + "[" + strconv.Itoa(i) + "]"
		e = deref(e)
		if e.Kind != yaml.SequenceNode || len(e.Content) != 2 {
			return configErr(ep, "want a [host, port] pair")
		}
		host, err := p.string(e.Content[0], ep+"[0]")
		if err != nil {
			return err
		}
		if host == "" || strings.ContainsAny(host, "/@,?#%[] \t\r\n") {
			return configErr(ep+"[0]", "want a host name or an IP address")
		}
		port, err := p.int(e.Content[1], ep+"[1]")
		if err != nil {
			return err
		}
		if port <= 0 || port > 65535 {
			return configErr(ep+"[1]", "want a port between 1 and 65535")
		}
		ds.addrs = append(ds.addrs, net.JoinHostPort(host, strconv.Itoa(port)))
	}
	return nil
}

// sentinelKwargs reads OPTIONS.SENTINEL_KWARGS, redis-py's keyword arguments
// for the connections to the sentinels: username and password; the socket
// timeouts are the alias's own here (SOCKET_CONNECT_TIMEOUT, SOCKET_TIMEOUT).
func (p *parser) sentinelKwargs(n *yaml.Node, path string, ds *djangoSentinel) error {
	return p.mapping(n, path, func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case "password":
			ds.password, err = p.string(v, path)
		case "username":
			ds.user, err = p.string(v, path)
		case "socket_timeout", "socket_connect_timeout":
		default:
			err = unknownField(path, key, "password", "username", "socket_timeout", "socket_connect_timeout")
		}
		return err
	})
}

// djangoSentinelLocation turns django-redis's Sentinel form into a Sentinel
// location: LOCATION redis://mastername/db names the master by its host, and
// OPTIONS.SENTINELS lists the sentinels. The alias becomes a
// BackendRedisSentinel alias whose one location is a SentinelScheme URL.
func djangoSentinelLocation(cc *CacheConfig, ds *djangoSentinel, path, optionsPath string) error {
	if !ds.set {
		if ds.wantedBy != "" {
			return configErr(optionsPath+".SENTINELS", "required by %s: a list of [host, port] pairs", ds.wantedBy)
		}
		return nil
	}
	if cc.DjangoBackend != "django_redis.cache.RedisCache" {
		return configErr(optionsPath+".SENTINELS", "only with django_redis.cache.RedisCache")
	}
	locPath := join(path, "LOCATION")
	if len(cc.Location) != 1 {
		return configErr(locPath, "with SENTINELS, want one redis://mastername/db URL")
	}
	u, err := url.Parse(cc.Location[0])
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Hostname() == "" || u.Opaque != "" {
		return configErr(locPath, "with SENTINELS, want a redis://mastername/db URL (characters such as / # ? @ in a password must be percent-encoded)")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return configErr(locPath, "with SENTINELS, the URL takes no query options: put them in OPTIONS")
	}
	db := strings.Trim(u.Path, "/")
	if n, err := strconv.Atoi(db); db != "" && (err != nil || n < 0) {
		return configErr(locPath, "invalid path: want /db, a database number")
	}
	var b strings.Builder
	b.WriteString(SentinelScheme)
	if u.Scheme == "rediss" {
		b.Reset()
		b.WriteString(SentinelTLSScheme)
	}
	b.WriteString("://")
	if u.User != nil {
		b.WriteString(u.User.String())
		b.WriteByte('@')
	}
	b.WriteString(strings.Join(ds.addrs, ","))
	b.WriteString("/" + url.PathEscape(u.Hostname()))
	if db != "" {
		b.WriteString("/" + db)
	}
	q := url.Values{}
	if ds.user != "" {
		q.Set("sentinel_username", ds.user)
	}
	if ds.password != "" {
		q.Set("sentinel_password", ds.password)
	}
	if len(q) > 0 {
		b.WriteString("?" + q.Encode())
	}
	cc.Backend = BackendRedisSentinel
	cc.Location = Locations{b.String()}
	return nil
}
