package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver, for the schema of a --database run

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/httpcork"
	"github.com/switchboard/switchboard/internal/jsonlog"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/logbuf"
	"github.com/switchboard/switchboard/internal/panel"
	"github.com/switchboard/switchboard/internal/seal"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
)

// env is a running bare handler and Switchboard with their seed.
type env struct {
	bareURL, url string
	dialect      store.Dialect
	params       auth.Params
	st           *store.Store
	svc          *service.Service

	tenant, password string
	token            string                 // mail admin Auth-token of the tenant
	session          string                 // JSON-RPC session of the tenant
	apiKey           string                 // x-api-key of an admin account
	listDomain       int64                  // the domain holding cfg.Accounts accounts
	createDomain     int64                  // the domain account creation fills
	createName       string                 // its name
	page             atomic.Pointer[[]byte] // users' first page, as Switchboard wrote it

	progress io.Writer // seeding's progress line
	closers  []func() error
}

// seedPassword is every seeded principal's password.
const seedPassword = "load-test-password"

// start opens the store, wires Switchboard as "switchboard serve" does
// (service, REST, JSON-RPC, panel, access log and metrics; the JSON log
// goes to a temporary file as serve's goes to its stderr, batched alike),
// serves it and the bare handler on loopback, and seeds the store.
func start(ctx context.Context, cfg Config, progress io.Writer) (_ *env, err error) {
	e := &env{params: auth.DefaultParams, progress: progress}
	if cfg.Argon2 == "test" {
		e.params = auth.TestParams
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.close())
		}
	}()
	dbURL, dataDir, err := e.database(cfg.Database)
	if err != nil {
		return nil, err
	}
	if e.st, err = store.Open(ctx, dbURL, dataDir); err != nil {
		return nil, err
	}
	e.closers = append(e.closers, e.st.Close)
	e.dialect = e.st.Dialect()
	if !cfg.ReadCache {
		e.st.DisableReadCache()
	}

	key := make([]byte, seal.KeySize)
	rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	logFile, err := openLog(cfg.Log)
	if err != nil {
		return nil, err
	}
	logOut := logbuf.New(logFile, cfg.LogFlush)
	e.closers = append(e.closers, func() error {
		err := errors.Join(logOut.Close(), logFile.Close())
		if cfg.Log == "" {
			err = errors.Join(err, os.Remove(logFile.Name()))
		}
		return err
	})
	logger := slog.New(logOut.Urgent(jsonlog.New(logOut, &slog.HandlerOptions{Level: slog.LevelInfo}), slog.LevelWarn))
	e.svc = service.New(service.Config{Store: e.st, Logger: logger, Hasher: auth.NewHasher(e.params), Seal: box})
	api := httpapi.New(httpapi.Config{Services: e.svc, Logger: logger, JSONRPC: jsonrpc.NewAPI(e.svc, logger),
		Panel: panel.New(panel.Config{Services: e.svc, Logger: logger})})
	if e.url, err = e.serve(api); err != nil {
		return nil, err
	}
	if e.bareURL, err = e.serve(http.HandlerFunc(e.bare)); err != nil {
		return nil, err
	}
	if err := e.seed(ctx, cfg, progress); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if err := e.fetchPage(ctx); err != nil {
		return nil, fmt.Errorf("users' first page: %w", err)
	}
	return e, nil
}

// usersPage is the address of the users scenario's page.
func (e *env) usersPage() string { return fmt.Sprintf("%s/users/%d?limit=100", e.url, e.listDomain) }

// fetchPage keeps the users scenario's page for bare-page.
func (e *env) fetchPage(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.usersPage(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Auth-token", e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
	}
	e.page.Store(&body)
	return nil
}

// bare is the floor every GET scenario is compared with: a plain handler
// writing a small JSON answer. At /page it writes users' first page as
// Switchboard wrote it, with the same headers and written as Switchboard
// writes a page: in one write, gathered (httpcork).
func (e *env) bare(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if p := e.page.Load(); r.URL.Path == "/page" && p != nil {
		w.Header().Set("Cache-Control", "no-store")
		httpcork.Write(w, r, http.StatusOK, *p)
		return
	}
	io.WriteString(w, `{"domains":[{"id":1,"name":"example.com","users_count":5}]}`)
}

// openLog opens the server's log: the file of --log, made anew, or a
// temporary one.
func openLog(path string) (*os.File, error) {
	if path == "" {
		return os.CreateTemp("", "switchboard-load-*.log")
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
}

// serve serves h on a loopback port with the timeouts serve uses.
func (e *env) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60*time.Second + httpapi.DefaultStreamStall, IdleTimeout: 2 * time.Minute, ConnContext: httpcork.ConnContext}
	go srv.Serve(httpcork.Listener(ln))
	e.closers = append(e.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String(), nil
}

// database returns the store URL of a run: a temporary SQLite file, or a
// fresh schema of the PostgreSQL database named, dropped at the end.
func (e *env) database(dsn string) (dbURL, dataDir string, err error) {
	if dsn == "" || strings.HasPrefix(dsn, "sqlite:") || strings.HasPrefix(dsn, "file:") {
		if dsn != "" {
			return dsn, "", nil
		}
		dir, err := os.MkdirTemp("", "switchboard-load-")
		if err != nil {
			return "", "", err
		}
		e.closers = append(e.closers, func() error { return os.RemoveAll(dir) })
		return "", dir, nil
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "switchboard_load_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		return "", "", fmt.Errorf("create schema: %w", err)
	}
	e.closers = append(e.closers, func() error {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		return err
	})
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", fmt.Errorf("--database: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), "", nil
}

// seed makes a tenant with ten domains (each with its postmaster), fills
// the first with cfg.Accounts accounts (in bulk, with one precomputed
// hash), makes an admin account with an API key, a mail admin token and a
// JSON-RPC session.
func (e *env) seed(ctx context.Context, cfg Config, progress io.Writer) error {
	e.tenant, e.password = "load", seedPassword
	if _, err := e.svc.CreateTenant(ctx, sb.SystemActor, e.tenant, e.password, sb.RoleTenant); err != nil {
		return err
	}
	actor := sb.Actor{TenantID: 1, TenantName: e.tenant, Role: sb.RoleTenant}
	t, err := e.svc.GetTenant(ctx, sb.SystemActor, e.tenant)
	if err != nil {
		return err
	}
	actor.TenantID = t.ID
	var domains []*sb.Domain
	for i := range 10 {
		name := fmt.Sprintf("d%d.load.test", i)
		d, _, err := e.svc.CreateDomain(ctx, actor, sb.NewDomain{Name: name,
			First: &sb.FirstAccount{Address: "postmaster@" + name, Password: e.password}})
		if err != nil {
			return err
		}
		domains = append(domains, d)
	}
	e.listDomain = domains[0].ID
	e.createDomain, e.createName = domains[9].ID, domains[9].Name
	if err := e.bulkAccounts(ctx, domains[0], cfg.Accounts-1, progress); err != nil {
		return err
	}
	admin := "sipadmin@" + domains[1].Name
	if _, err := e.svc.CreateAccountCLI(ctx, sb.SystemActor, admin, e.password, "", true); err != nil {
		return err
	}
	k, err := e.svc.CreateAPIKey(ctx, sb.SystemActor, admin, "load")
	if err != nil {
		return err
	}
	e.apiKey = k.Key
	if e.token, _, err = e.svc.Login(ctx, e.tenant, e.password, "127.0.0.1"); err != nil {
		return err
	}
	if e.session, _, err = e.svc.OpenSession(ctx, e.tenant, e.password, "127.0.0.1"); err != nil {
		return err
	}
	return nil
}

// bulkAccounts adds n accounts to d, in chunks of one transaction each.
func (e *env) bulkAccounts(ctx context.Context, d *sb.Domain, n int, progress io.Writer) error {
	hash, err := auth.NewHasher(auth.TestParams).Hash(context.Background(), seedPassword)
	if err != nil {
		return err
	}
	const chunk = 50_000
	now := time.Now()
	for start := 0; start < n; start += chunk {
		rows := make([]store.BulkAccount, 0, min(chunk, n-start))
		for i := start; i < min(start+chunk, n); i++ {
			l := fmt.Sprintf("user%07d", i)
			rows = append(rows, store.BulkAccount{Local: l, Email: l + "@" + d.Name})
		}
		if err := e.st.InTx(ctx, func(tx *store.Tx) error {
			return tx.BulkInsertAccounts(ctx, d.ID, hash, now, rows)
		}); err != nil {
			return err
		}
		if n > chunk && progress != nil {
			fmt.Fprintf(progress, "\rseeding %s: %d/%d accounts", d.Name, min(start+chunk, n), n)
		}
	}
	if n > chunk && progress != nil {
		fmt.Fprintln(progress)
	}
	// As an import of as many does (and autovacuum would a minute later):
	// PostgreSQL's planner must not plan the domain's pages for the handful
	// of rows it counted before the seed.
	return e.st.AnalyzeAccounts(ctx)
}

// close undoes start, in reverse order.
func (e *env) close() error {
	var err error
	for i := len(e.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, e.closers[i]())
	}
	e.closers = nil
	return err
}

// meter is what the scenarios read their CPU time with: with PostgreSQL,
// its processes on this machine are read too (none when it runs elsewhere).
func (e *env) meter() meter {
	return meter{db: e.dialect == store.Postgres}
}
