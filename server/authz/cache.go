package authz

import (
	"sync"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
)

// cache keeps Lambda authorizers' answers for their TTL, keyed by
// authorizer and identity (the token of a TOKEN authorizer, every identity
// source of a REQUEST one). The answer is cached, not the decision: each
// request's method ARN is checked against the cached policy.
type cache struct {
	mu      sync.Mutex
	entries map[cacheKey]cacheEntry
	// sweepAt bounds the map: expired entries go when it is next written
	// after this time.
	sweepAt time.Time
}

type cacheKey struct {
	api, authorizer, identity string
}

type cacheEntry struct {
	out     *apigw.AuthorizerOutput
	event   []byte
	output  []byte
	expires time.Time
}

func newCache() *cache { return &cache{entries: map[cacheKey]cacheEntry{}} }

func (c *cache) get(k cacheKey, now time.Time) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || !now.Before(e.expires) {
		return cacheEntry{}, false
	}
	return e, true
}

func (c *cache) put(k cacheKey, e cacheEntry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.After(c.sweepAt) {
		for key, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, key)
			}
		}
		c.sweepAt = now.Add(time.Minute)
	}
	c.entries[k] = e
}

// flush forgets every cached answer (a template reload, a test).
func (c *cache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
