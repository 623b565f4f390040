package httpapi_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/archive"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// untar reads an export into name -> contents, in archive order.
func untar(t *testing.T, data []byte) (map[string][]byte, []string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("export is not gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	var order []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, order
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = b
		order = append(order, h.Name)
	}
}

// retar builds an archive from files in order, to make broken ones.
func retar(t *testing.T, files map[string][]byte, order []string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, n := range order {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o600, Size: int64(len(files[n])), Typeflag: tar.TypeReg})
		tw.Write(files[n])
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func (e *env) export(token, domain string) (*http.Response, []byte) {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("domain", domain)
	mw.Close()
	// As the seed documents it: curl -X GET -F domain=... /export/domain
	req, _ := http.NewRequest("GET", e.url+"/export/domain", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Auth-token", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res, data
}

func (e *env) importArchive(token string, archive []byte) *result {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "export.tar.gz")
	fw.Write(archive)
	mw.Close()
	return e.raw("POST", "/import/domain", token, mw.FormDataContentType(), &body)
}

func TestExportImportRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		src := newEnv(t, st, 0)
		tok := src.tenant("acme", sb.RoleTenant)
		other := src.tenant("other", sb.RoleTenant)
		src.do("POST", "/domains", tok, form{"domain": "move.example", "username": "admin@move.example", "password": "admin-password"}).want(201)
		for i := range 2 {
			src.do("POST", "/user/1", tok, form{"email": fmt.Sprintf("u%d@move.example", i), "password": fmt.Sprintf("user-password-%d", i)}).want(201)
		}
		src.do("POST", "/alias/1", tok, form{"address": "info@move.example", "goto": "u0@move.example,x@elsewhere.org"}).want(201)
		src.do("POST", "/dkim/add-new-domain", tok, form{"domain": "move.example", "selector": "rsa1"}).want(201)
		ed := src.do("POST", "/dkim/add-new-domain", tok, form{"domain": "move.example", "selector": "ed1", "algorithm": "ed25519"}).want(201)
		cert := issueTestCert(t, []string{"mail.move.example"}, time.Now().Add(60*24*time.Hour))
		src.do("POST", "/ssl/upload", tok, form{"ssl_certificate": cert.chainPEM, "ssl_certificate_key": cert.keyPEM}).want(200)

		res, data := src.export(tok, "move.example")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/gzip" ||
			!strings.Contains(res.Header.Get("Content-Disposition"), "move.example-") {
			t.Fatalf("export: %d %v %s", res.StatusCode, res.Header, data)
		}
		files, order := untar(t, data)
		if order[0] != "manifest.json" {
			t.Fatalf("first entry %q", order[0])
		}
		var m struct {
			Format string
			Counts map[string]int
			Files  map[string]struct{ SHA256 string }
		}
		json.Unmarshal(files["manifest.json"], &m)
		if m.Format != "switchboard-domain-export" || m.Counts["accounts"] != 3 || m.Counts["aliases"] != 1 || m.Counts["dkim_keys"] != 2 ||
			m.Counts["certificates"] != 1 || len(m.Files) != 6 {
			t.Fatalf("manifest %s", files["manifest.json"])
		}
		if !bytes.Contains(files["accounts.jsonl"], []byte(`"password_hash":"{ARGON2ID}$argon2id$`)) {
			t.Fatal("the export lacks password hashes")
		}

		t.Run("another tenant cannot export the domain", func(t *testing.T) {
			res, body := src.export(other, "move.example")
			if res.StatusCode != 404 || !strings.Contains(string(body), "domain not found") {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
		})

		// Import into an empty store of the same kind.
		dst := newEnv(t, storetest.Open(t, backendOf(t, st)), 0)
		dtok := dst.tenant("newhome", sb.RoleTenant)
		imp := dst.importArchive(dtok, data).want(201)
		if imp.json["accounts"] != 3.0 || imp.json["aliases"] != 1.0 || imp.json["dkim_keys"] != 2.0 || imp.json["certificates"] != 1.0 {
			t.Fatalf("import %s", imp.body)
		}
		t.Run("passwords keep working after the move", func(t *testing.T) {
			for email, pw := range map[string]string{"admin@move.example": "admin-password", "u1@move.example": "user-password-1"} {
				if _, _, err := dst.svc.CheckMailboxPassword(t.Context(), email, pw, "127.0.0.1"); err != nil {
					t.Fatalf("%s: %v", email, err)
				}
			}
		})
		t.Run("aliases moved", func(t *testing.T) {
			a, err := dst.store.Read().AliasByEmail(t.Context(), "info@move.example")
			if err != nil || strings.Join(a.Destinations, ",") != "u0@move.example,x@elsewhere.org" {
				t.Fatalf("imported alias %+v, %v", a, err)
			}
		})
		t.Run("DKIM keys and the certificate moved and are sealed with the new server's key", func(t *testing.T) {
			res := dst.do("GET", "/dkim?domain=move.example", dtok, nil).want(200)
			if !strings.Contains(res.body, ed.json["dns_value"].(string)) {
				t.Fatalf("dkim list %s", res.body)
			}
			if _, err := dst.svc.DKIMPrivateKey(t.Context(), sb.SystemActor, "move.example", "ed1"); err != nil {
				t.Fatal(err)
			}
			dst.do("POST", "/ssl/get-left-days", dtok, form{"hostname": "mail.move.example"}).want(200)
		})
		t.Run("exporting the import yields the same data", func(t *testing.T) {
			_, again := dst.export(dtok, "move.example")
			files2, order2 := untar(t, again)
			if strings.Join(order, ",") != strings.Join(order2, ",") {
				t.Fatalf("entries %v vs %v", order, order2)
			}
			for _, n := range order[1:] {
				if !bytes.Equal(files[n], files2[n]) {
					t.Errorf("%s differs after the round trip:\n%s\n---\n%s", n, files[n], files2[n])
				}
			}
			var m2 struct {
				Files map[string]struct{ SHA256 string }
			}
			json.Unmarshal(files2["manifest.json"], &m2)
			for n, sum := range m.Files {
				if m2.Files[n].SHA256 != sum.SHA256 {
					t.Errorf("checksum of %s changed", n)
				}
			}
		})

		tampered := map[string][]byte{}
		for k, v := range files {
			tampered[k] = v
		}
		tampered["accounts.jsonl"] = bytes.Replace(files["accounts.jsonl"], []byte("u0@"), []byte("x0@"), 1)
		noManifest := append([]string{}, order[1:]...)
		refusals := []struct {
			name   string
			token  string
			data   []byte
			status int
			msg    string
		}{
			{"the same domain twice is a conflict", dtok, data, 409, "already exists"},
			{"a file changed after export is refused", dtok, retar(t, tampered, order), 422, "checksum"},
			{"an archive without its manifest first is refused", dtok, retar(t, files, noManifest), 422, "manifest.json"},
			{"a truncated archive is refused", dtok, data[:len(data)/2], 422, ""},
			{"something that is not an archive is refused", dtok, []byte("hello"), 422, "not a gzip"},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				before := dst.snapshot()
				dst.importArchive(tt.token, tt.data).wantError(tt.status, tt.msg)
				dst.unchanged(before)
			})
		}
		t.Run("a tenant cannot import for another tenant", func(t *testing.T) {
			dst.tenant("third", sb.RoleTenant)
			before := dst.snapshot()
			dst.raw("POST", "/import/domain?tenant=third", dtok, "application/gzip", bytes.NewReader(data)).wantError(403, "operators")
			dst.unchanged(before)
		})
	})
}

// backendOf names the storetest backend a store was opened from.
func backendOf(t *testing.T, st *store.Store) storetest.Backend {
	for _, b := range storetest.Backends() {
		if string(st.Dialect()) == b.Name {
			return b
		}
	}
	t.Fatalf("no backend for %s", st.Dialect())
	return storetest.Backend{}
}

// recordsArchive makes an export of domain holding the given JSON-lines
// records (file name -> records), as a server would write it.
func recordsArchive(t *testing.T, domain string, lines map[string][]any) []byte {
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
	for name, records := range lines {
		l, err := b.Lines(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range records {
			if err := l.Add(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(strings.TrimSuffix(name, ".jsonl")); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := b.Write(&buf, domain, at); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportValidatesLikeTheLiveAPI checks that an imported record is held
// to the rules of the call that makes it live, with the same message, and
// that a refused import changes nothing.
func TestImportValidatesLikeTheLiveAPI(t *testing.T) {
	at := time.Unix(1_700_000_000, 0).UTC()
	account := func(local string) map[string]any {
		return map[string]any{"local": local, "email": local + "@move.example", "password_hash": "{PLAIN}x", "active": true,
			"activated": true, "admin": false, "provisioned": false, "created_at": at, "updated_at": at}
	}
	dkimKey := func(selector, algorithm string) map[string]any {
		return map[string]any{"selector": selector, "algorithm": algorithm, "public_key": "x", "private_key_pem": "x",
			"active": true, "created_at": at}
	}
	outside := issueTestCert(t, []string{"mail.move.example", "mail.other.example"}, time.Now().Add(60*24*time.Hour))
	eachEnv(t, func(t *testing.T, e *env) {
		tok := e.tenant("acme", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "move.example", "username": "admin@move.example", "password": "admin-password"}).want(201)
		// The messages of the live calls, on the same input.
		live := func(r *result) string {
			t.Helper()
			if r.status < 400 {
				t.Fatalf("the live API accepted it: %s", r.body)
			}
			msg, _ := r.json["msg"].(string)
			return msg
		}
		badSelector := live(e.do("POST", "/dkim/add-new-domain", tok, form{"domain": "move.example", "selector": "bad_sel"}))
		badAlgorithm := live(e.do("POST", "/dkim/add-new-domain", tok, form{"domain": "move.example", "selector": "s1", "algorithm": "dsa"}))
		notCovered := live(e.do("POST", "/ssl/upload", tok, form{"ssl_certificate": outside.chainPEM, "ssl_certificate_key": outside.keyPEM}))
		badLocal := live(e.do("POST", "/user/1", tok, form{"email": "a/b@move.example", "password": "user-password"}))
		e.do("DELETE", "/domain", tok, form{"domain": "move.example"}).want(200)

		tests := []struct {
			name  string
			lines map[string][]any
			msg   string
		}{
			{"a DKIM key with a bad selector", map[string][]any{"accounts.jsonl": {account("admin")},
				"dkim_keys.jsonl": {dkimKey("bad_sel", "rsa")}}, badSelector},
			{"a DKIM key with a bad algorithm", map[string][]any{"accounts.jsonl": {account("admin")},
				"dkim_keys.jsonl": {dkimKey("s1", "dsa")}}, badAlgorithm},
			{"a certificate naming a host outside the domain", map[string][]any{"accounts.jsonl": {account("admin")},
				"certificates.jsonl": {map[string]any{"hostname": "mail.move.example", "source": "upload",
					"chain_pem": outside.chainPEM, "private_key_pem": outside.keyPEM}}}, notCovered},
			{"an account whose local part holds a '/'", map[string][]any{"accounts.jsonl": {account("admin"), account("a/b")}}, badLocal},
		}
		for _, tt := range tests {
			t.Run(tt.name+" is refused with the live API's message", func(t *testing.T) {
				if tt.msg == "" {
					t.Fatal("the live API gave no message")
				}
				before := e.snapshot()
				e.importArchive(tok, recordsArchive(t, "move.example", tt.lines)).wantError(422, tt.msg)
				e.unchanged(before)
			})
		}
		t.Run("the same archive with valid records imports", func(t *testing.T) {
			e.importArchive(tok, recordsArchive(t, "move.example", map[string][]any{"accounts.jsonl": {account("admin")}})).want(201)
		})
	})
}
