package panel_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// chromium is Debian's package: the end-to-end test drives it with
// playwright-core, which downloads no browser of its own.
const chromium = "/usr/bin/chromium"

// TestPanelEndToEnd runs e2e/panel.mjs in real Chromium against a fresh
// server on each database: a SIP admin's API key used with curl and
// revoked, a tenant's new domain with its DKIM record and export, an
// account's password change refused and taken by the panel and the SIP
// API, and an axe-core scan of every page visited. Without node, Chromium
// or e2e/node_modules (npm ci --prefix e2e) it skips, but fails in CI.
func TestPanelEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	missing := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s in CI: .ci/run installs it", why)
		}
		t.Skip(why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		missing("curl is not installed")
	}
	if _, err := os.Stat(chromium); err != nil {
		missing(chromium + " is missing (apt-get install chromium)")
	}
	if _, err := os.Stat(filepath.Join(root, "e2e", "node_modules", "playwright-core")); err != nil {
		missing("e2e/node_modules is missing (npm ci --prefix e2e)")
	}

	eachEnv(t, func(t *testing.T, e *env) {
		shots := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, filepath.Join(root, "e2e", "panel.mjs"))
		cmd.Dir = filepath.Join(root, "e2e")
		cmd.Env = append(os.Environ(),
			"PANEL_URL="+e.url,
			"E2E_BACKEND="+filepath.Base(t.Name()),
			"ADMIN_USER=admin@sip.example.org", "ADMIN_PASSWORD="+adminPassword,
			"TENANT_USER=acme", "TENANT_PASSWORD="+tenantPassword,
			"USER_USER=alice@sip.example.org", "USER_PASSWORD="+alicePassword,
			"OPERATOR_USER=root", "OPERATOR_PASSWORD="+tenantPassword,
			"SCREENSHOT_DIR="+shots,
		)
		cmd.WaitDelay = 10 * time.Second
		out := &testLog{t: t}
		cmd.Stdout, cmd.Stderr = out, out
		err := cmd.Run()
		out.flush()
		if err != nil {
			t.Fatalf("e2e/panel.mjs: %v", err)
		}
		if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
			for _, name := range docShots {
				data, err := os.ReadFile(filepath.Join(shots, name))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, "docs", name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// docShots are the screenshots the README shows, written into docs/ with
// UPDATE_SCREENSHOTS=1; the others stay in the test's directory.
var docShots = []string{"panel-domain.png", "panel-apikeys.png", "panel-account.png"}

// testLog writes a process's output to the test log, line by line, as it
// comes.
type testLog struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (l *testLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		l.t.Log(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
}

func (l *testLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(string(l.buf))
		l.buf = nil
	}
}

var _ io.Writer = (*testLog)(nil)
