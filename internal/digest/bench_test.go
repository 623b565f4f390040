package digest_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/digest"
)

// BenchmarkVerify measures what a server does per request: parse the header,
// check the nonce and verify the response against the stored HA1.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{digest.MD5, digest.SHA256} {
		b.Run(alg, func(b *testing.B) {
			f := newFixture(b)
			h := f.respond(b, alg, "GET", apiURI, "alice", "secret", 1)
			ha1, _ := digest.HA1(alg, "alice", testRealm, "secret")
			b.ReportAllocs()
			for b.Loop() {
				c, err := digest.ParseAuthorization(h)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.nonces.Check(c.Nonce); err != nil {
					b.Fatal(err)
				}
				if err := digest.Verify(c, "GET", apiURI, ha1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
