package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/internal/acme"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dkimmilter"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/httpcork"
	"github.com/switchboard/switchboard/internal/jsonlog"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/logbuf"
	"github.com/switchboard/switchboard/internal/panel"
	"github.com/switchboard/switchboard/internal/profile"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
)

// serve runs the server until ctx ends or a listener fails.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var f serveFlags
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return &usageError{cmd: "serve", err: err}
	}
	a := &app{cfg: cfg, stderr: stderr}
	if err := a.Open(ctx); err != nil {
		return errors.Join(err, a.Close())
	}
	err = a.Run(ctx)
	return errors.Join(err, a.Close())
}

// serveFlags are serve's flags, as given; config checks and converts them.
type serveFlags struct {
	store    storeFlags
	mail     mailFlags
	client   clientConfigFlags
	delivery deliveryFlags

	listen, tlsListen, acmeHTTP, milterListen, milterTrusted string
	metricsListen                                            string
	tokenTTL, sessionIdle, sessionMax, requestTimeout        time.Duration
	logFlush                                                 time.Duration
	maxBody, importMax                                       int64
	sipDomain, sipRegistrar, logLevel, certDir               string
	acmeDir, acmeEmail, acmeRoots                            string
	trashDays                                                int
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	f.store.register(fs)
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.DurationVar(&f.tokenTTL, "token-ttl", 24*time.Hour, "lifetime of mail admin auth tokens")
	fs.StringVar(&f.sipDomain, "sip-domain", "", "default registration domain of the SIP API (empty: each admin's own domain)")
	fs.StringVar(&f.sipRegistrar, "sip-registrar", "", "SIP URI provisioned phones register to and route through, e.g. sip:sip.example.org;transport=tcp (empty: each account's domain over TLS)")
	fs.DurationVar(&f.sessionIdle, "session-idle", 30*time.Minute, "JSON-RPC sessions end after this long unused")
	fs.DurationVar(&f.sessionMax, "session-max", 12*time.Hour, "absolute lifetime of a JSON-RPC session")
	fs.Int64Var(&f.maxBody, "max-body", 1<<20, "largest request body in bytes")
	fs.Int64Var(&f.importMax, "import-max-bytes", service.DefaultImportMaxBytes, "largest expanded size of an imported domain archive, in bytes")
	fs.DurationVar(&f.requestTimeout, "request-timeout", 60*time.Second, "longest time one request may take")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.DurationVar(&f.logFlush, "log-flush", 100*time.Millisecond,
		"longest time info and debug lines (the access log) wait to be written together; warnings and errors are written at once (0: every line at once)")
	fs.StringVar(&f.acmeDir, "acme-directory", acme.LetsEncrypt, "ACME directory URL")
	fs.StringVar(&f.acmeEmail, "acme-email", "", "contact address of the ACME account")
	fs.StringVar(&f.acmeRoots, "acme-ca-roots", "", "PEM file of extra roots trusted for the ACME directory (for test CAs)")
	fs.StringVar(&f.acmeHTTP, "acme-http-listen", "", "extra listener answering only HTTP-01 challenges (e.g. :80)")
	fs.StringVar(&f.milterListen, "milter-listen", "", "address of the DKIM signing milter for Postfix (e.g. 127.0.0.1:8891; off when empty)")
	fs.StringVar(&f.milterTrusted, "milter-trusted", "127.0.0.0/8,::1/128", "client networks whose mail the milter signs (SMTP-authenticated clients are always signed)")
	fs.StringVar(&f.tlsListen, "tls-listen", "", "TLS listener serving the API with stored certificates, chosen by SNI (never /metrics)")
	fs.StringVar(&f.metricsListen, "metrics-listen", "", "listener serving only GET /metrics, which then leaves --listen (empty: /metrics on --listen)")
	fs.StringVar(&f.certDir, "cert-dir", "", "directory receiving <hostname>/fullchain.pem and privkey.pem for Dovecot and Postfix")
	f.mail.register(fs)
	fs.IntVar(&f.trashDays, "mail-trash-days", 7, "days deleted Maildirs stay in <mail-root>/.trash (0: removed at once)")
	f.client.register(fs)
	f.delivery.register(fs)
}

// serveConfig is serve's checked configuration.
type serveConfig struct {
	store    storeFlags
	logLevel slog.Level
	logFlush time.Duration // 0 or less: every line written at once

	listen         string // the API over HTTP
	tlsListen      string // the API over TLS with stored certificates; "" for none
	acmeHTTP       string // HTTP-01 challenges only; "" for none
	milterListen   string // the DKIM milter; "" for none
	metricsListen  string // GET /metrics alone; "" for /metrics on listen
	milterTrusted  []netip.Prefix
	maxBody        int64
	importMax      int64 // expanded size of an imported archive
	requestTimeout time.Duration

	tokenTTL, sessionIdle, sessionMax time.Duration
	sipDomain                         string
	sipRegistrar                      string // proxy_0 of provisioned phones; "" for the domain
	certDir                           string
	mailRoot                          string
	mailTrash                         time.Duration // negative: removed at once

	acmeDir, acmeEmail string
	acmeRoots          *x509.CertPool

	clientConfig service.ClientConfigOptions
	publicURL    string
	delivery     deliveryFlags // built in Open, with the logger
}

// config checks the flags and reads the files they name (profile signing
// key, ACME roots); it opens nothing.
func (f *serveFlags) config() (serveConfig, error) {
	c := serveConfig{store: f.store, listen: f.listen, tlsListen: f.tlsListen, acmeHTTP: f.acmeHTTP,
		milterListen: f.milterListen, metricsListen: f.metricsListen, maxBody: f.maxBody, importMax: f.importMax,
		requestTimeout: f.requestTimeout, logFlush: f.logFlush, tokenTTL: f.tokenTTL, sessionIdle: f.sessionIdle, sessionMax: f.sessionMax,
		sipDomain: strings.ToLower(f.sipDomain), sipRegistrar: f.sipRegistrar, certDir: f.certDir, mailRoot: f.mail.path(f.store.data),
		acmeDir: f.acmeDir, acmeEmail: f.acmeEmail, publicURL: f.client.publicURL, delivery: f.delivery}
	if err := c.logLevel.UnmarshalText([]byte(f.logLevel)); err != nil {
		return c, fmt.Errorf("--log-level: %w", err)
	}
	if f.logFlush < 0 {
		return c, errors.New("--log-flush must not be negative (0: every line at once)")
	}
	if f.sipRegistrar != "" {
		if err := profile.CheckRegistrar(f.sipRegistrar); err != nil {
			return c, fmt.Errorf("--sip-registrar: %w", err)
		}
	}
	if f.trashDays < 0 {
		return c, errors.New("--mail-trash-days must not be negative")
	}
	c.mailTrash = time.Duration(f.trashDays) * 24 * time.Hour
	if c.mailTrash == 0 {
		c.mailTrash = -1 // remove at once
	}
	var err error
	if c.clientConfig, err = f.client.options(); err != nil {
		return c, err
	}
	if f.milterListen != "" {
		if c.milterTrusted, err = parsePrefixes(f.milterTrusted); err != nil {
			return c, fmt.Errorf("--milter-trusted: %w", err)
		}
	}
	if c.acmeRoots, err = loadRoots(f.acmeRoots); err != nil {
		return c, err
	}
	return c, nil
}

// app is a running server: Open wires and listens, Run serves, Close undoes
// all of it (after a failed Open too).
type app struct {
	cfg    serveConfig
	stderr io.Writer

	logger *slog.Logger
	logOut *logbuf.Writer // batches the logger's lines; closed last
	store  *store.Store
	svc    *service.Service
	api    *httpapi.Server

	// bg carries the milter and housekeeping; it ends with Open's ctx or
	// at Close.
	bg     context.Context
	stopBg context.CancelFunc

	servers   []*http.Server
	listeners []net.Listener // every listener, the milter's included
	serve     []func() error // one per listener, started by Run
	ln        net.Listener   // the API over HTTP
	tlsLn     net.Listener   // nil when --tls-listen is empty
	acmeLn    net.Listener   // nil when --acme-http-listen is empty
	milterLn  net.Listener   // nil when --milter-listen is empty
	metricsLn net.Listener   // nil when --metrics-listen is empty
	tlsSrv    *http.Server   // nil when --tls-listen is empty

	mu     sync.Mutex
	closed bool           // Close has begun: Run starts nothing
	wg     sync.WaitGroup // Run's goroutines
}

// Open opens the server key, the store, the service and the API, and
// listens on every configured address.
func (a *app) Open(ctx context.Context) error {
	cfg := a.cfg
	a.logOut = logbuf.New(a.stderr, cfg.logFlush)
	a.logger = slog.New(a.logOut.Urgent(jsonlog.New(a.logOut, &slog.HandlerOptions{Level: cfg.logLevel}), slog.LevelWarn))
	box, err := cfg.store.seal()
	if err != nil {
		return err
	}
	delivery, provBase, err := cfg.delivery.build(a.logger)
	if err != nil {
		return err
	}
	if cfg.clientConfig.Signer == nil {
		a.logger.Warn("no --signing-cert/--signing-key: configuration profiles are served unsigned", "component", "main")
	}
	if a.store, err = cfg.store.open(ctx); err != nil {
		return err
	}
	issuer := acme.New(acme.Config{Directory: cfg.acmeDir, Email: cfg.acmeEmail, Roots: cfg.acmeRoots, Logger: a.logger,
		State: &service.ACMEState{Store: a.store, Seal: box, Now: time.Now}})
	a.svc = service.New(service.Config{Store: a.store, Logger: a.logger, TokenTTL: cfg.tokenTTL,
		Hasher: auth.NewHasher(auth.DefaultParams), SessionIdle: cfg.sessionIdle, SessionMax: cfg.sessionMax, Seal: box,
		Issuer: issuer, CertDir: cfg.certDir, ClientConfig: cfg.clientConfig, SIPDomain: cfg.sipDomain, SIPRegistrar: cfg.sipRegistrar,
		Delivery: delivery, Mailboxes: mailboxes(cfg.mailRoot, cfg.mailTrash, a.logger), MinPasswordLength: cfg.store.minPassword,
		ProvisioningBase: provBase, Import: service.ImportLimits{MaxBytes: cfg.importMax, SpoolDir: importSpool(cfg.store.data)}})
	if err := a.svc.SyncCertDir(ctx); err != nil {
		a.logger.Error("write certificate files", "component", "main", "err", err)
	}
	// A killed import leaves its spool (and staged Maildirs) behind.
	if n, err := a.svc.CleanImportStaging(ctx); err != nil {
		a.logger.Error("clean import staging", "component", "main", "err", err)
	} else if n > 0 {
		a.logger.Info("stale import staging removed", "component", "main", "count", n)
	}
	a.api = httpapi.New(httpapi.Config{Services: a.svc, Logger: a.logger, MaxBodyBytes: cfg.maxBody,
		RequestTimeout: cfg.requestTimeout, JSONRPC: jsonrpc.NewAPI(a.svc, a.logger), PublicURL: cfg.publicURL,
		Panel: panel.New(panel.Config{Services: a.svc, Logger: a.logger, SecureCookies: strings.HasPrefix(cfg.publicURL, "https://")})})
	a.bg, a.stopBg = context.WithCancel(ctx)

	// A response must be written within DefaultStreamStall after its handler's
	// time is up; streamed lists and exports move their own deadline on as
	// the client reads (httpapi.DefaultStreamStall, StreamMax).
	writeTimeout := cfg.requestTimeout + httpapi.DefaultStreamStall
	base := func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	// /metrics is served on the main listener, or on --metrics-listen
	// alone; never on the public TLS listener.
	var mainHandler http.Handler = a.api
	if cfg.metricsListen != "" {
		mainHandler = a.api.WithoutMetrics()
	}
	srv := &http.Server{Handler: mainHandler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: cfg.requestTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: 2 * time.Minute, BaseContext: base, ConnContext: httpcork.ConnContext}
	if a.ln, err = a.listen(cfg.listen); err != nil {
		return err
	}
	a.servers = append(a.servers, srv)
	a.serve = append(a.serve, func() error { return srv.Serve(httpcork.Listener(a.ln)) })
	a.logger.Info("switchboard listening", "component", "main", "addr", a.ln.Addr().String(), "database", string(a.store.Dialect()))

	if cfg.metricsListen != "" {
		mSrv := &http.Server{Handler: a.api.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: cfg.requestTimeout,
			WriteTimeout: writeTimeout, IdleTimeout: 2 * time.Minute, BaseContext: base}
		if a.metricsLn, err = a.listen(cfg.metricsListen); err != nil {
			return err
		}
		a.servers = append(a.servers, mSrv)
		a.serve = append(a.serve, func() error { return mSrv.Serve(a.metricsLn) })
		a.logger.Info("metrics listening", "component", "main", "addr", a.metricsLn.Addr().String())
	}
	if cfg.acmeHTTP != "" {
		chSrv := &http.Server{Handler: a.api.ChallengeHandler(), ReadHeaderTimeout: 10 * time.Second}
		if a.acmeLn, err = a.listen(cfg.acmeHTTP); err != nil {
			return err
		}
		a.servers = append(a.servers, chSrv)
		a.serve = append(a.serve, func() error { return chSrv.Serve(a.acmeLn) })
	}
	if cfg.milterListen != "" {
		if a.milterLn, err = a.listen(cfg.milterListen); err != nil {
			return err
		}
		mcfg := dkimmilter.Config{Keys: a.svc, Trusted: cfg.milterTrusted, Logger: a.logger}
		a.serve = append(a.serve, func() error { return dkimmilter.Serve(a.bg, a.milterLn, mcfg) })
	}
	if cfg.tlsListen != "" {
		tlsSrv := &http.Server{Handler: a.api.WithoutMetrics(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: cfg.requestTimeout,
			WriteTimeout: writeTimeout, IdleTimeout: 2 * time.Minute, BaseContext: base, ConnContext: httpcork.ConnContext,
			TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: a.api.GetCertificate(time.Minute)}}
		if a.tlsLn, err = a.listen(cfg.tlsListen); err != nil {
			return err
		}
		a.servers = append(a.servers, tlsSrv)
		a.tlsSrv = tlsSrv
		a.serve = append(a.serve, func() error { return tlsSrv.ServeTLS(httpcork.Listener(a.tlsLn), "", "") })
	}
	return nil
}

// listen opens a TCP listener that Close will close.
func (a *app) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	a.listeners = append(a.listeners, ln)
	return ln, nil
}

// Run serves every listener and runs the housekeeping until ctx ends (nil),
// Close is called (nil) or a listener fails (its error).
func (a *app) Run(ctx context.Context) error {
	errc := make(chan error, len(a.serve))
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	for _, serve := range a.serve {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			errc <- serve()
		}()
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		housekeeping(a.bg, a.svc, a.logger, max(a.cfg.mailTrash, 0))
	}()
	a.mu.Unlock()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return nil
	case <-a.bg.Done():
		return nil
	}
}

// Close shuts every server down (each one is tried, whatever the others
// answer), closes every listener, waits for Run's goroutines and closes the
// store.
func (a *app) Close() error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	if a.logger != nil && len(a.listeners) > 0 {
		a.logger.Info("shutting down", "component", "main")
	}
	if a.stopBg != nil {
		a.stopBg() // the milter and housekeeping
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	for _, s := range a.servers {
		if err := s.Shutdown(shutdownCtx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	}
	// Shutdown closes only the listeners Serve has seen; Run may not have
	// started, and the milter has no Shutdown.
	for _, ln := range a.listeners {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	a.wg.Wait()
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if a.logOut != nil {
		_ = a.logOut.Close() // what is left of the log; later lines go out at once
	}
	return errors.Join(errs...)
}

// parsePrefixes reads a comma-separated list of CIDR networks.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a network like 10.0.0.0/8", f)
		}
		out = append(out, p)
	}
	return out, nil
}

// housekeeping purges expired tokens, renews certificates due for renewal
// and empties the mail trash of Maildirs older than mailTrash, until ctx
// ends.
func housekeeping(ctx context.Context, svc *service.Service, logger *slog.Logger, mailTrash time.Duration) {
	owner, _ := os.Hostname()
	owner = fmt.Sprintf("%s/%d", owner, os.Getpid())
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := svc.PurgeExpired(ctx); err != nil {
			logger.Error("purge expired tokens", "component", "main", "err", err)
		}
		if i%6 == 0 { // hourly
			if n, err := svc.RenewDue(ctx, owner); err != nil {
				logger.Error("certificate renewal", "component", "main", "err", err)
			} else if n > 0 {
				logger.Info("certificates renewed", "component", "main", "count", n)
			}
			if n, err := svc.PurgeMailTrash(ctx, mailTrash); err != nil {
				logger.Error("purge mail trash", "component", "main", "err", err)
			} else if n > 0 {
				logger.Info("deleted Maildirs purged", "component", "main", "count", n)
			}
		}
	}
}

// loadRoots reads extra trusted roots for the ACME directory.
func loadRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--acme-ca-roots: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("--acme-ca-roots: no PEM certificate in %s", path)
	}
	return pool, nil
}
