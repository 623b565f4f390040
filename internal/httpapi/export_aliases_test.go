package httpapi_test

import (
	"bytes"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/archive"
)

// buildArchive writes a well-formed export of domain with the given
// account addresses and aliases.jsonl lines (none: no aliases.jsonl, as
// archives from before aliases have it).
func buildArchive(t *testing.T, domain string, accounts []string, aliases []map[string]any) []byte {
	t.Helper()
	b, err := archive.NewBuilder()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	at := time.Unix(1_700_000_000, 0).UTC()
	if err := b.JSON("domain.json", map[string]any{"name": domain, "created_at": at}); err != nil {
		t.Fatal(err)
	}
	l, err := b.Lines("accounts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range accounts {
		local := email[:bytes.IndexByte([]byte(email), '@')]
		l.Add(map[string]any{"local": local, "email": email, "password_hash": "{ARGON2ID}x", "active": true, "activated": true,
			"admin": false, "provisioned": false, "created_at": at, "updated_at": at})
	}
	if err := l.Close("accounts"); err != nil {
		t.Fatal(err)
	}
	if aliases != nil {
		l, err := b.Lines("aliases.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range aliases {
			l.Add(a)
		}
		if err := l.Close("aliases"); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := b.Write(&buf, domain, at); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportAliases(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		tok := e.tenant("acme", sb.RoleTenant)
		alias := func(address string, dests ...string) map[string]any {
			return map[string]any{"address": address, "goto": dests, "created_at": time.Unix(1_700_000_000, 0).UTC()}
		}
		t.Run("an archive without aliases.jsonl imports", func(t *testing.T) {
			res := e.importArchive(tok, buildArchive(t, "old.example", []string{"a@old.example"}, nil)).want(201)
			if res.json["accounts"] != 1.0 || res.json["aliases"] != 0.0 {
				t.Fatalf("import %s", res.body)
			}
		})
		t.Run("aliases are restored with their creation time", func(t *testing.T) {
			res := e.importArchive(tok, buildArchive(t, "new.example", []string{"a@new.example"},
				[]map[string]any{alias("info@new.example", "a@new.example", "x@elsewhere.org")})).want(201)
			if res.json["aliases"] != 1.0 {
				t.Fatalf("import %s", res.body)
			}
			a, err := e.store.Read().AliasByEmail(t.Context(), "info@new.example")
			if err != nil || len(a.Destinations) != 2 || a.CreatedAt.Unix() != 1_700_000_000 {
				t.Fatalf("imported alias %+v, %v", a, err)
			}
		})
		refusals := []struct {
			name    string
			aliases []map[string]any
			status  int
			msg     string
		}{
			{"an alias over an imported mailbox is a conflict", []map[string]any{alias("a@bad.example", "x@elsewhere.org")}, 409, "already a mailbox"},
			{"an alias twice is a conflict", []map[string]any{alias("b@bad.example", "x@elsewhere.org"), alias("b@bad.example", "y@elsewhere.org")}, 409, "already exists"},
			{"an alias outside the domain is refused", []map[string]any{alias("b@other.example", "x@elsewhere.org")}, 422, "address must be an address in bad.example"},
			{"an invalid destination is refused", []map[string]any{alias("b@bad.example", "nope")}, 422, `goto "nope" is not a valid email address`},
			{"an alias without destinations is refused", []map[string]any{alias("b@bad.example")}, 422, "goto is required"},
			{"the alias itself as destination is refused", []map[string]any{alias("b@bad.example", "b@bad.example")}, 422, "is the alias itself"},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot()
				e.importArchive(tok, buildArchive(t, "bad.example", []string{"a@bad.example"}, tt.aliases)).wantError(tt.status, tt.msg)
				e.unchanged(before)
			})
		}
	})
}
