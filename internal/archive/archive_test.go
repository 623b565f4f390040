package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func build(t testing.TB) []byte {
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
	return write(t, b)
}

func write(t testing.TB, b *Builder) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := b.Write(&out, "x.example", time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestRoundTrip(t *testing.T) {
	a, err := Read(bytes.NewReader(build(t)), Limits{MaxBytes: 1 << 20})
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
			_, err := Read(bytes.NewReader(tt.data), Limits{MaxBytes: tt.max})
			var ae *Error
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %q", err, tt.msg)
			}
		})
	}
}

// FuzzRead: arbitrary uploads never panic and fail only as bad archives.
func FuzzRead(f *testing.F) {
	f.Add(build(f))
	f.Add(buildMail(f))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data), Limits{MaxBytes: 1 << 20})
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

// mailFiles are Maildir files in walk order.
var mailFiles = []struct{ local, rel, data string }{
	{"a", ".Sent/cur/2:2,S", "sent"},
	{"a", "cur/1:2,S", "hello"},
	{"a", "cur.x", "not a dir"},
	{"a", "dovecot-uidlist", "3 V1 N2\n"},
	{"b.c", "new/9", ""},
}

// buildMail builds an archive with mailFiles, spooled from a directory.
func buildMail(t testing.TB) []byte {
	t.Helper()
	b, err := NewBuilder()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.JSON("domain.json", map[string]string{"name": "x.example"})
	dir := t.TempDir()
	for _, m := range mailFiles {
		p := filepath.Join(dir, m.local, filepath.FromSlash(m.rel))
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, []byte(m.data), 0o600)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		err = b.MaildirFile(m.local, m.rel, p, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		// Renaming the original (a flag change) leaves the snapshot alone.
		os.Rename(p, p+"T")
	}
	return write(t, b)
}

func TestMaildirRoundTrip(t *testing.T) {
	a, err := Read(bytes.NewReader(buildMail(t)), Limits{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Manifest.Counts[MaildirCount] != int64(len(mailFiles)) || !a.Has(MaildirIndex) {
		t.Fatalf("manifest %+v", a.Manifest)
	}
	i := 0
	err = a.Maildir(func(local, rel string, r io.Reader) error {
		data, _ := io.ReadAll(r)
		if m := mailFiles[i]; local != m.local || rel != m.rel || string(data) != m.data {
			t.Errorf("file %d: %s %s %q, want %+v", i, local, rel, data, m)
		}
		i++
		return nil
	})
	if err != nil || i != len(mailFiles) {
		t.Fatalf("read %d files: %v", i, err)
	}
}

func TestMaildirFileRefusesBadNamesAndOrder(t *testing.T) {
	b, _ := NewBuilder()
	defer b.Close()
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("x"), 0o600)
	f, _ := os.Open(p)
	defer f.Close()
	for _, tt := range []struct{ local, rel string }{
		{"a", "../x"}, {"a/b", "x"}, {".a", "x"}, {"a", "/x"}, {"a", "x//y"}, {"a", "x/"}, {"", "x"}, {"A", "x"},
	} {
		if err := b.MaildirFile(tt.local, tt.rel, p, f); err == nil {
			t.Errorf("%q %q accepted", tt.local, tt.rel)
		}
	}
	if err := b.MaildirFile("a", "x/y", p, f); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"x/y", "w", "x", "x/a"} {
		if err := b.MaildirFile("a", rel, p, f); err == nil {
			t.Errorf("%q after x/y accepted", rel)
		}
	}
}

// rewrite copies an archive entry by entry through edit, which may change
// an entry (returning its new name and data) or drop it (ok false), and
// appends extra entries.
func rewrite(t *testing.T, data []byte, edit func(name string, data []byte) (string, []byte, bool), extra ...[2]string) []byte {
	t.Helper()
	zr, _ := gzip.NewReader(bytes.NewReader(data))
	tr := tar.NewReader(zr)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	put := func(name string, data []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Size: int64(len(data)), Mode: 0o600, Typeflag: tar.TypeReg, Format: tar.FormatPAX})
		tw.Write(data)
	}
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		d, _ := io.ReadAll(tr)
		if name, d, ok := edit(h.Name, d); ok {
			put(name, d)
		}
	}
	for _, e := range extra {
		put(e[0], []byte(e[1]))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestReadRefusesBadMaildirEntries(t *testing.T) {
	good := buildMail(t)
	keep := func(name string, data []byte) (string, []byte, bool) { return name, data, true }
	rename := func(from, to string) func(string, []byte) (string, []byte, bool) {
		return func(name string, data []byte) (string, []byte, bool) {
			if name == from {
				return to, data, true
			}
			return name, data, true
		}
	}
	for _, tt := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"a traversing entry is refused", rewrite(t, good, keep, [2]string{"maildir/../x", "x"}), "unexpected entry"},
		{"an entry the index does not list is refused", rewrite(t, good, keep, [2]string{"maildir/b.c/new/99", "x"}), "unexpected entry"},
		{"a renamed entry is refused", rewrite(t, good, rename("maildir/a/cur/1:2,S", "maildir/a/cur/1:2,ST")), "unexpected entry"},
		{"a missing entry is refused", rewrite(t, good, func(name string, data []byte) (string, []byte, bool) {
			return name, data, name != "maildir/b.c/new/9"
		}), "lacks"},
		{"a changed entry is refused", rewrite(t, good, func(name string, data []byte) (string, []byte, bool) {
			if name == "maildir/a/cur/1:2,S" {
				return name, []byte("HELLO"), true
			}
			return name, data, true
		}), "checksum"},
		{"maildir entries without an index are refused", rewrite(t, build(t), keep, [2]string{"maildir/a/cur/1", "x"}), "no maildir.jsonl"},
		{"a flat file after the maildir entries is refused", rewrite(t, good, keep, [2]string{"domain.json", "{}"}), "unexpected entry"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.data), Limits{MaxBytes: 1 << 20})
			var ae *Error
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %q", err, tt.msg)
			}
		})
	}
	t.Run("a maildir file over the size limit is refused", func(t *testing.T) {
		if _, err := Read(bytes.NewReader(good), Limits{MaxBytes: 300}); err == nil || !strings.Contains(err.Error(), "too large") {
			t.Fatalf("err = %v", err)
		}
	})
}

// bomb returns a well-formed archive whose one file is size zero bytes,
// listed in the manifest with its true size and digest: only its expansion
// gives it away.
func bomb(t *testing.T, size int64) []byte {
	t.Helper()
	h := sha256.New()
	zeros := make([]byte, 1<<20)
	for n := int64(0); n < size; n += int64(len(zeros)) {
		h.Write(zeros[:min(int64(len(zeros)), size-n)])
	}
	m, _ := json.Marshal(Manifest{Format: Format, Version: Version, Domain: "x.example",
		Files: map[string]FileSum{"accounts.jsonl": {Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}}})
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Size: int64(len(m)), Mode: 0o600, Typeflag: tar.TypeReg})
	tw.Write(m)
	tw.WriteHeader(&tar.Header{Name: "accounts.jsonl", Size: size, Mode: 0o600, Typeflag: tar.TypeReg})
	for n := int64(0); n < size; n += int64(len(zeros)) {
		tw.Write(zeros[:min(int64(len(zeros)), size-n)])
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestReadRefusesBombsEarly(t *testing.T) {
	const size = 64 << 20
	data := bomb(t, size)
	tests := []struct {
		name string
		lim  Limits
		msg  string
	}{
		{"a bomb is refused by the expansion ratio", Limits{MaxBytes: 1 << 40, MaxRatio: 100, Allowance: 1 << 20},
			"expands more than 100 times over"},
		{"a bomb is refused by the total expanded size", Limits{MaxBytes: 4 << 20},
			"expands to more than 4194304 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.lim.Dir = dir
			src := &countingReader{r: bytes.NewReader(data)}
			_, err := Read(src, tt.lim)
			if _, ok := errors.AsType[*TooLargeError](err); !ok || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want a TooLargeError saying %q", err, tt.msg)
			}
			if _, ok := errors.AsType[*Error](err); !ok {
				t.Fatalf("err %T is not an archive defect", err)
			}
			// Refused as soon as the bound was crossed: most of the upload
			// was never read, so at most Allowance + MaxRatio times what was
			// read (or MaxBytes) was ever written.
			if src.n > int64(len(data))/4 {
				t.Errorf("read %d of %d compressed bytes before refusing", src.n, len(data))
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("the refused archive left %d entries in its spool directory", len(left))
			}
		})
	}
	t.Run("the same archive passes without bounds", func(t *testing.T) {
		a, err := Read(bytes.NewReader(data), Limits{MaxBytes: 1 << 30, Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
	})
	t.Run("a real export is well within the default ratio with no allowance", func(t *testing.T) {
		a, err := Read(bytes.NewReader(build(t)), Limits{MaxBytes: 1 << 20, MaxRatio: 100})
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
	})
	t.Run("the spool directory carries the tag", func(t *testing.T) {
		dir := t.TempDir()
		a, err := Read(bytes.NewReader(build(t)), Limits{MaxBytes: 1 << 20, Dir: dir, Tag: "0123abcd"})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("spool entries %v", entries)
		}
		if tag, ok := SpoolTag(entries[0].Name()); !ok || tag != "0123abcd" {
			t.Fatalf("SpoolTag(%q) = %q, %v", entries[0].Name(), tag, ok)
		}
	})
}
