// Package django shares Django's cache-backed sessions with a Go service:
// Sessions reads, creates, saves and deletes the sessions Django's
// django.contrib.sessions.backends.cache engine keeps in a django-redis
// cache, so that a Go handler can trust a Django login (UserID reads
// _auth_user_id) and Django sees the sessions Go created or changed.
//
//	caches, err := secureredis.Open(ctx, cfg)        // a Django CACHES dict
//	alias, err := caches.Store("default")            // SESSION_CACHE_ALIAS
//	sessions, err := django.NewSessions(alias)       // SESSION_COOKIE_AGE: 2 weeks
//	data, err := sessions.Load(ctx, cookie.Value)    // the sessionid cookie
//	if uid, ok := django.UserID(data); ok { ... }
//
// A session lives under the key "django.contrib.sessions.cache" + session
// key, which the alias's store prefixes with KEY_PREFIX:VERSION: as Django's
// cache does. Its value is the session dict, pickled (and, on a
// django-redis-secure alias, encrypted) by the alias's codec: open the alias
// with serializer pickle (codec.NewDjango), which a Django CACHES config
// selects by itself.
//
// # Security considerations
//
// Session keys are bearer credentials: they are never logged or put in
// errors by this package. New keys have Django's form, 32 characters of
// [a-z0-9] from crypto/rand (about 165 bits). On a django-redis-secure alias
// each session is a Fernet token, so reading Redis does not reveal sessions
// and writing it cannot forge one; but there is no key binding in Django's
// format, so someone who can write Redis can copy one user's session token
// under another session key they know. On a plaintext alias anyone who can
// write Redis can forge sessions outright, for Django and for Go alike.
package django
