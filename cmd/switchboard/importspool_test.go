package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard/switchboard/internal/store/storetest"
)

func TestServeClearsWhatAKilledImportLeftAtStart(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dir := t.TempDir()
			spool := filepath.Join(importSpool(dir), "switchboard-import-deadbeefdeadbeef-42")
			staged := filepath.Join(dir, "mail", ".staging", "x.example.1700000000000000000")
			for _, p := range []string{spool, staged} {
				if err := os.MkdirAll(p, 0o700); err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(p, "part"), []byte("what the killed import wrote"), 0o600)
			}
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			var f serveFlags
			f.register(fs)
			args := []string{"--database", b.URL(t), "--data", dir, "--log-level", "error", "--listen", "127.0.0.1:0"}
			if err := parse(fs, args); err != nil {
				t.Fatal(err)
			}
			cfg, err := f.config()
			if err != nil {
				t.Fatal(err)
			}
			a := &app{cfg: cfg, stderr: io.Discard}
			if err := a.Open(context.Background()); err != nil {
				t.Fatal(errors.Join(err, a.Close()))
			}
			defer a.Close()
			for _, p := range []string{spool, staged} {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s survived the start: %v", p, err)
				}
			}
		})
	}
}
