package secureredis

import "testing"

func TestPlausibleName(t *testing.T) {
	for _, s := range []string{"default", "caches", "REDIS_SECRET_KEY", "DJANGO_REDIS_SECURE_CACHE_NAME", "app1:secure",
		"SecureDjangoRedisClient", "my-cache.v2", "_x", "ALLCAPSFIELDNAMEHERE", "sessionstorecachealias"} {
		if !plausibleName(s) {
			t.Errorf("plausibleName(%q) = false", s)
		}
	}
	for _, s := range []string{"", "kPEDO_pSrPh3qGJVfGAflLZXKAh4AuHU64tTlP-f_PY=", "IAAgASACIAMgBCAFIAYgByAIIAkgCiALIAwgDSAOIA8",
		"s3cr3tPassw0rd99", "aZ3kd9Qx0pLm2Ws7", "pass word", "1abc", "p@ss", "a/b"} {
		if plausibleName(s) {
			t.Errorf("plausibleName(%q) = true", s)
		}
	}
}
