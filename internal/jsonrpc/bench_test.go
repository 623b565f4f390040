package jsonrpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// BenchmarkMailListAtAMillion: mailbox.org's sorted mail.list pages and
// search over a domain of one million mailboxes with names, through HTTP:
// first pages in every order, the deepest page allowed, a details page and
// a search. Every answer is checked for the mailbox it must start with.
func BenchmarkMailListAtAMillion(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			base, session := millionMailboxes(b, backend)
			for _, tc := range []struct {
				name, method string
				params       map[string]any
				want         string
			}{
				{"first page by mail", "mail.list", map[string]any{"sort_field": "mail", "page": 1, "page_size": 50}, `"mail":"user0000000@big.example"`},
				{"first page by last name, descending", "mail.list", map[string]any{"sort_field": "last_name", "sort_order": "desc", "page_size": 50}, `"last_name":"Last999"`},
				{"first page by first name", "mail.list", map[string]any{"sort_field": "first_name", "page_size": 50}, `"first_name":"First0000"`},
				{"first page by status", "mail.list", map[string]any{"sort_field": "status", "page_size": 50}, `"mail":"user0000000@big.example"`},
				{"first page by creation date, descending", "mail.list", map[string]any{"sort_field": "creation_date", "sort_order": "desc", "page_size": 50}, `"mail":"user0999999@big.example"`},
				{"the deepest page by mail", "mail.list", map[string]any{"sort_field": "mail", "page": 2000, "page_size": 50}, `"mail":"user0099950@big.example"`},
				{"a details page", "mail.list", map[string]any{"sort_field": "mail", "page_size": 50, "details": true}, `"aliases":[]`},
				{"a search", "search", map[string]any{"query": "user05000"}, `"mail":"user0500000@big.example"`},
			} {
				tc.params["domain"] = "big.example"
				if tc.method == "search" {
					delete(tc.params, "domain")
				}
				body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": tc.method, "params": tc.params})
				b.Run(tc.name, func(b *testing.B) {
					for b.Loop() {
						benchRPC(b, base, session, body, tc.want)
					}
				})
			}
		})
	}
}

func millionMailboxes(b *testing.B, backend storetest.Backend) (base, session string) {
	const accounts = 1_000_000
	st := storetest.Open(b, backend)
	svc, _ := testenv.Service(b, st, nil)
	base = testenv.Serve(b, httpapi.New(httpapi.Config{Services: svc, JSONRPC: jsonrpc.NewAPI(svc, nil)}))
	ctx := context.Background()
	if _, err := svc.CreateTenant(ctx, sb.SystemActor, "acme", "acme-password-1", sb.RoleTenant); err != nil {
		b.Fatal(err)
	}
	d, _, err := svc.CreateDomain(ctx, sb.SystemActor, sb.NewDomain{Name: "big.example", Owner: "acme"})
	if err != nil {
		b.Fatal(err)
	}
	hash, _ := auth.NewHasher(auth.TestParams).Hash(context.Background(), "bench-password")
	start := time.Now().Add(-accounts * time.Second)
	const chunk = 50_000
	for first := 0; first < accounts; first += chunk {
		rows := make([]store.ImportAccount, 0, chunk)
		for i := first; i < min(first+chunk, accounts); i++ {
			l := fmt.Sprintf("user%07d", i)
			at := start.Add(time.Duration(i) * time.Second)
			rows = append(rows, store.ImportAccount{Local: l, Email: l + "@big.example", Credentials: store.Credentials{Hash: hash},
				Active: true, Activated: true, CreatedAt: at, UpdatedAt: at,
				Mailbox: &store.MailboxProfile{FirstName: fmt.Sprintf("First%04d", i%10000), LastName: fmt.Sprintf("Last%03d", i%1000), InboxSave: true}})
		}
		if err := st.InTx(ctx, func(tx *store.Tx) error { return tx.InsertImportedAccounts(ctx, d.ID, rows) }); err != nil {
			b.Fatal(err)
		}
	}
	token, _, err := svc.OpenSession(ctx, "acme", "acme-password-1", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	return base, token
}

func benchRPC(b *testing.B, base, session string, body []byte, want string) {
	req, _ := http.NewRequest("POST", base+"/v1/", bytes.NewReader(body))
	req.Header.Set("HPLS-AUTH", session)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(data), want) {
		b.Fatalf("answer lacks %s: %.300s", want, data)
	}
}
