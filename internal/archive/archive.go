// Package archive reads and writes Switchboard's domain export format: a
// gzip'd tar whose first entry is manifest.json (format, version, counts and
// the SHA-256 of every other file), followed by JSON and JSON-lines files.
// Files are spooled through a temporary directory so that a domain with a
// million accounts is exported and imported with flat memory.
package archive

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"
)

// Format and Version identify the archive layout.
const (
	Format  = "switchboard-domain-export"
	Version = 1
)

// Manifest describes an archive.
type Manifest struct {
	Format     string             `json:"format"`
	Version    int                `json:"version"`
	ExportedAt time.Time          `json:"exported_at"`
	Domain     string             `json:"domain"`
	Counts     map[string]int64   `json:"counts"`
	Files      map[string]FileSum `json:"files"`
}

// FileSum is the size and digest of one file.
type FileSum struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// validName keeps entry names flat and harmless.
var validName = regexp.MustCompile(`^[a-z][a-z0-9_]*\.(json|jsonl)$`)

// Builder collects the files of an archive in a temporary directory.
type Builder struct {
	dir    string
	sums   map[string]FileSum
	counts map[string]int64
}

// NewBuilder starts an archive.
func NewBuilder() (*Builder, error) {
	dir, err := os.MkdirTemp("", "switchboard-export-")
	if err != nil {
		return nil, err
	}
	return &Builder{dir: dir, sums: map[string]FileSum{}, counts: map[string]int64{}}, nil
}

// Close removes the temporary files.
func (b *Builder) Close() error { return os.RemoveAll(b.dir) }

// digestWriter writes to a file while hashing and counting.
type digestWriter struct {
	f    *os.File
	buf  *bufio.Writer
	h    hash.Hash
	size int64
}

func (b *Builder) create(name string) (*digestWriter, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("bad archive file name %q", name)
	}
	if _, dup := b.sums[name]; dup {
		return nil, fmt.Errorf("archive file %q written twice", name)
	}
	f, err := os.OpenFile(filepath.Join(b.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &digestWriter{f: f, buf: bufio.NewWriterSize(f, 64<<10), h: sha256.New()}, nil
}

func (d *digestWriter) Write(p []byte) (int, error) {
	d.h.Write(p)
	d.size += int64(len(p))
	return d.buf.Write(p)
}

func (d *digestWriter) close() (FileSum, error) {
	if err := d.buf.Flush(); err != nil {
		d.f.Close()
		return FileSum{}, err
	}
	if err := d.f.Close(); err != nil {
		return FileSum{}, err
	}
	return FileSum{Size: d.size, SHA256: hex.EncodeToString(d.h.Sum(nil))}, nil
}

// JSON writes one JSON file.
func (b *Builder) JSON(name string, v any) error {
	w, err := b.create(name)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		w.close()
		return err
	}
	sum, err := w.close()
	b.sums[name] = sum
	return err
}

// Lines writes a JSON-lines file, one value per Add.
type Lines struct {
	b    *Builder
	name string
	w    *digestWriter
	enc  *json.Encoder
	n    int64
}

// Lines starts a JSON-lines file; its line count goes into the manifest's
// counts under key.
func (b *Builder) Lines(name string) (*Lines, error) {
	w, err := b.create(name)
	if err != nil {
		return nil, err
	}
	return &Lines{b: b, name: name, w: w, enc: json.NewEncoder(w)}, nil
}

// Add appends one value.
func (l *Lines) Add(v any) error {
	l.n++
	return l.enc.Encode(v)
}

// Close finishes the file.
func (l *Lines) Close(countKey string) error {
	sum, err := l.w.close()
	l.b.sums[l.name] = sum
	l.b.counts[countKey] = l.n
	return err
}

// Write writes the archive: manifest.json first, then every file in name
// order, all gzip'd.
func (b *Builder) Write(w io.Writer, domain string, exportedAt time.Time) error {
	m := Manifest{Format: Format, Version: Version, ExportedAt: exportedAt.UTC(), Domain: domain,
		Counts: b.counts, Files: b.sums}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	hdr := func(name string, size int64) *tar.Header {
		return &tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: exportedAt.UTC(), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	}
	if err := tw.WriteHeader(hdr("manifest.json", int64(len(manifest)))); err != nil {
		return err
	}
	if _, err := tw.Write(manifest); err != nil {
		return err
	}
	names := make([]string, 0, len(b.sums))
	for n := range b.sums {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(hdr(n, b.sums[n].Size)); err != nil {
			return err
		}
		f, err := os.Open(filepath.Join(b.dir, n))
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// Error is a defect of an uploaded archive, safe to show its sender.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func bad(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Archive is a read, verified archive spooled to a temporary directory.
type Archive struct {
	Manifest Manifest
	dir      string
}

// Read unpacks an archive, refusing one larger than maxBytes uncompressed,
// one whose files do not match the manifest, or one with unknown entries.
func Read(r io.Reader, maxBytes int64) (_ *Archive, err error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, bad("not a gzip'd archive")
	}
	tr := tar.NewReader(zr)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != "manifest.json" || hdr.Size > 1<<20 {
		return nil, bad("the archive does not start with manifest.json")
	}
	a := &Archive{}
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&a.Manifest); err != nil {
		return nil, bad("manifest.json is not valid JSON")
	}
	m := a.Manifest
	if m.Format != Format || m.Version != Version {
		return nil, bad("unsupported archive: format %q version %d (want %q version %d)", m.Format, m.Version, Format, Version)
	}
	if a.dir, err = os.MkdirTemp("", "switchboard-import-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	seen := map[string]bool{}
	var total int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bad("the archive is truncated or corrupt")
		}
		sum, ok := m.Files[hdr.Name]
		if !ok || !validName.MatchString(hdr.Name) || hdr.Typeflag != tar.TypeReg || seen[hdr.Name] {
			return nil, bad("unexpected entry %q in the archive", hdr.Name)
		}
		seen[hdr.Name] = true
		if total += hdr.Size; hdr.Size != sum.Size || total > maxBytes {
			return nil, bad("entry %q is not the size the manifest says, or the archive is too large", hdr.Name)
		}
		f, err := os.OpenFile(filepath.Join(a.dir, hdr.Name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(tr, hdr.Size))
		f.Close()
		if err != nil || n != hdr.Size {
			return nil, bad("the archive is truncated or corrupt")
		}
		if hex.EncodeToString(h.Sum(nil)) != sum.SHA256 {
			return nil, bad("checksum of %q does not match the manifest", hdr.Name)
		}
	}
	for name := range m.Files {
		if !seen[name] {
			return nil, bad("the archive lacks %q, which its manifest lists", name)
		}
	}
	return a, nil
}

// Has reports whether the archive holds a file.
func (a *Archive) Has(name string) bool { _, ok := a.Manifest.Files[name]; return ok }

// JSON decodes a JSON file.
func (a *Archive) JSON(name string, v any) error {
	f, err := os.Open(filepath.Join(a.dir, name))
	if err != nil {
		return bad("the archive lacks %q", name)
	}
	defer f.Close()
	if err := json.NewDecoder(f).Decode(v); err != nil {
		return bad("%s is not valid: %v", name, err)
	}
	return nil
}

// EachLine decodes a JSON-lines file value by value into a fresh T.
func EachLine[T any](a *Archive, name string, fn func(*T) error) error {
	if !a.Has(name) {
		return nil
	}
	f, err := os.Open(filepath.Join(a.dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 64<<10))
	dec.DisallowUnknownFields()
	for line := 1; ; line++ {
		var v T
		if err := dec.Decode(&v); err == io.EOF {
			return nil
		} else if err != nil {
			return bad("%s line %d is not valid: %v", name, line, err)
		}
		if err := fn(&v); err != nil {
			var ae *Error
			if errors.As(err, &ae) {
				return bad("%s line %d: %s", name, line, ae.Msg)
			}
			return err
		}
	}
}

// Close removes the spooled files.
func (a *Archive) Close() error {
	if a.dir == "" {
		return nil
	}
	return os.RemoveAll(a.dir)
}
