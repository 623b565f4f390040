package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
	"time"
)

func build(t *testing.T) []byte {
	t.Helper()
	b, err := NewBuilder()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.JSON("domain.json", map[string]string{"name": "x.example"})
	l, _ := b.Lines("accounts.jsonl")
	l.Add(map[string]string{"email": "a@x.example"})
	l.Add(map[string]string{"email": "b@x.example"})
	l.Close("accounts")
	var out bytes.Buffer
	if err := b.Write(&out, "x.example", time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestRoundTrip(t *testing.T) {
	a, err := Read(bytes.NewReader(build(t)), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Manifest.Counts["accounts"] != 2 || a.Manifest.Domain != "x.example" {
		t.Fatalf("manifest %+v", a.Manifest)
	}
	var emails []string
	err = EachLine(a, "accounts.jsonl", func(v *struct {
		Email string `json:"email"`
	}) error {
		emails = append(emails, v.Email)
		return nil
	})
	if err != nil || strings.Join(emails, ",") != "a@x.example,b@x.example" {
		t.Fatalf("lines %v %v", emails, err)
	}
}

func TestReadRefusesUnsafeOrOversizeArchives(t *testing.T) {
	good := build(t)
	withEntry := func(name string) []byte {
		zr, _ := gzip.NewReader(bytes.NewReader(good))
		tr := tar.NewReader(zr)
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			var data bytes.Buffer
			data.ReadFrom(tr)
			tw.WriteHeader(h)
			tw.Write(data.Bytes())
		}
		tw.WriteHeader(&tar.Header{Name: name, Size: 1, Mode: 0o600, Typeflag: tar.TypeReg})
		tw.Write([]byte("x"))
		tw.Close()
		zw.Close()
		return buf.Bytes()
	}
	for _, tt := range []struct {
		name string
		data []byte
		max  int64
		msg  string
	}{
		{"a path-traversal entry is refused", withEntry("../../etc/passwd"), 1 << 20, "unexpected entry"},
		{"an entry the manifest does not list is refused", withEntry("extra.json"), 1 << 20, "unexpected entry"},
		{"an archive over the size limit is refused", good, 10, "too large"},
		{"a non-gzip stream is refused", []byte("plain"), 1 << 20, "not a gzip"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.data), tt.max)
			var ae *Error
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %q", err, tt.msg)
			}
		})
	}
}

// FuzzRead: arbitrary uploads never panic and fail only as bad archives.
func FuzzRead(f *testing.F) {
	f.Add(build(&testing.T{}))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data), 1<<20)
		if err == nil {
			a.Close()
			return
		}
		var ae *Error
		if !errors.As(err, &ae) {
			t.Fatalf("unexpected error kind %T: %v", err, err)
		}
	})
}
