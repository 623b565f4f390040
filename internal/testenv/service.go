package testenv

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/httpcork"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
)

// Service is a service on st as the tests build it: the fast test hasher,
// the tests' server key and a settable clock standing at the current second.
// tweak, if not nil, changes the configuration first; a Now it sets wins
// over the clock.
func Service(tb testing.TB, st *store.Store, tweak func(*service.Config)) (*service.Service, *Clock) {
	tb.Helper()
	c := NewClock(time.Now().UTC().Truncate(time.Second))
	cfg := service.Config{Store: st, Hasher: auth.NewHasher(auth.TestParams), Seal: Seal(tb), Now: c.Now}
	if tweak != nil {
		tweak(&cfg)
	}
	return service.New(cfg), c
}

// Serve serves h on a loopback port until the test ends and returns its
// base URL. Its connections gather httpcork's writes, as switchboard
// serve's do.
func Serve(tb testing.TB, h http.Handler) string {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = httpcork.Listener(srv.Listener)
	srv.Config.ConnContext = httpcork.ConnContext
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv.URL
}
