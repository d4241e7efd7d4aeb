package localtier

// CachedToken returns what the tier keeps for key, for tests.
func (c *Client) CachedToken(key string) (string, bool) {
	c.cache.mu.Lock()
	defer c.cache.mu.Unlock()
	e := c.cache.m[key]
	if e == nil || e.pending {
		return "", false
	}
	return e.tok, true
}
