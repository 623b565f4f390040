// Package archive reads and writes Switchboard's domain export format: a
// gzip'd tar whose first entry is manifest.json (format, version, counts and
// the SHA-256 of every other file), followed by JSON and JSON-lines files,
// then, optionally, the domain's Maildir files as maildir/<local>/<path>.
// The Maildir files are listed with their sizes and SHA-256 in maildir.jsonl
// (itself in the manifest), in archive order, rather than in the manifest:
// a domain holds millions of messages, and the manifest is read whole.
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
	"strconv"
	"strings"
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

// MaildirIndex lists the Maildir entries; MaildirCount is its key in the
// manifest's counts.
const (
	MaildirIndex = "maildir.jsonl"
	MaildirCount = "maildir_files"
	maildirDir   = "maildir/"
)

// MaildirEntry is one line of maildir.jsonl.
type MaildirEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// validLocal is the local part of an address as the service normalises it
// (RFC 5322 dot-atom, lower case) minus '/', so that it is one path component.
var validLocal = regexp.MustCompile("^[a-z0-9!#$%&'*+=?^_`{|}~-]+(\\.[a-z0-9!#$%&'*+=?^_`{|}~-]+)*$")

// ValidMaildirPath reports whether local and rel name a file that may be
// written under <mail-root>/<domain>/<local>/: local is one safe path
// component, and rel a relative path of printable ASCII components, none
// empty, "." or "..".
func ValidMaildirPath(local, rel string) bool {
	if len(local) > 64 || !validLocal.MatchString(local) || rel == "" || len(rel) > 1024 {
		return false
	}
	parts := strings.Split(rel, "/")
	if len(parts) > 8 {
		return false
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || len(p) > 255 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < 0x20 || p[i] > 0x7e || p[i] == '\\' {
				return false
			}
		}
	}
	return true
}

// splitMaildirName splits an entry name maildir/<local>/<rel>.
func splitMaildirName(name string) (local, rel string, ok bool) {
	rest, ok := strings.CutPrefix(name, maildirDir)
	if !ok {
		return "", "", false
	}
	local, rel, ok = strings.Cut(rest, "/")
	return local, rel, ok && ValidMaildirPath(local, rel)
}

// pathAfter reports whether path b comes strictly after a in the order of a
// depth-first walk with sorted directories ('/' sorts before every other
// byte), and is not inside a: so one file per name, and no file that is
// also a directory.
func pathAfter(a, b string) bool {
	if strings.HasPrefix(b, a+"/") {
		return false
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x == '/' {
			return true
		}
		if y == '/' {
			return false
		}
		return x < y
	}
	return len(b) > len(a)
}

// Builder collects the files of an archive in a temporary directory.
type Builder struct {
	dir    string
	sums   map[string]FileSum
	counts map[string]int64

	mail     *Lines // maildir.jsonl, opened by the first MaildirFile
	lastMail string
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

// MaildirFile adds a snapshot of one Maildir file, found at path and open
// as f, as maildir/<local>/<rel>. Files must come in the order of a walk
// with sorted directories (fs.WalkDir's). Maildir files are never changed
// in place, only renamed, so a hard link is a snapshot; where linking is
// not possible (another file system, or not the same file as f) the file
// is copied from f.
func (b *Builder) MaildirFile(local, rel, path string, f *os.File) error {
	name := maildirDir + local + "/" + rel
	if !ValidMaildirPath(local, rel) {
		return fmt.Errorf("bad maildir file name %q", name)
	}
	if b.lastMail != "" && !pathAfter(b.lastMail, name) {
		return fmt.Errorf("maildir file %q out of order after %q", name, b.lastMail)
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("maildir file %q is not a regular file", name)
	}
	if b.mail == nil {
		if err := os.Mkdir(filepath.Join(b.dir, "m"), 0o700); err != nil {
			return err
		}
		if b.mail, err = b.Lines(MaildirIndex); err != nil {
			return err
		}
	}
	spool := b.mailSpool(b.mail.n)
	h := sha256.New()
	var size int64
	if linked(path, spool, fi) {
		sf, err := os.Open(spool)
		if err != nil {
			return err
		}
		size, err = io.Copy(h, sf)
		sf.Close()
		if err != nil {
			return err
		}
	} else {
		out, err := os.OpenFile(spool, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		size, err = io.Copy(io.MultiWriter(out, h), f)
		if err := errors.Join(err, out.Close()); err != nil {
			return err
		}
	}
	b.lastMail = name
	return b.mail.Add(MaildirEntry{Name: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
}

// linked hard-links path to spool and reports whether spool is now the
// file fi describes.
func linked(path, spool string, fi os.FileInfo) bool {
	if os.Link(path, spool) != nil {
		return false
	}
	if sfi, err := os.Lstat(spool); err == nil && os.SameFile(fi, sfi) {
		return true
	}
	os.Remove(spool)
	return false
}

func (b *Builder) mailSpool(seq int64) string {
	return filepath.Join(b.dir, "m", strconv.FormatInt(seq, 10))
}

// Write writes the archive: manifest.json first, then every other file in
// name order, then the Maildir files in the order they were added, all
// gzip'd.
func (b *Builder) Write(w io.Writer, domain string, exportedAt time.Time) error {
	if b.mail != nil && b.mail.w != nil {
		if err := b.mail.Close(MaildirCount); err != nil {
			return err
		}
		b.mail.w = nil
	}
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
	if b.mail != nil {
		err := b.eachMail(func(seq int64, e *MaildirEntry) error {
			if err := tw.WriteHeader(hdr(e.Name, e.Size)); err != nil {
				return err
			}
			f, err := os.Open(b.mailSpool(seq))
			if err != nil {
				return err
			}
			_, err = io.CopyN(tw, f, e.Size)
			f.Close()
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// eachMail reads the spooled maildir.jsonl of a builder.
func (b *Builder) eachMail(fn func(seq int64, e *MaildirEntry) error) error {
	return eachIndexLine(filepath.Join(b.dir, MaildirIndex), fn)
}

func eachIndexLine(path string, fn func(seq int64, e *MaildirEntry) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 64<<10))
	for seq := int64(0); ; seq++ {
		var e MaildirEntry
		if err := dec.Decode(&e); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := fn(seq, &e); err != nil {
			return err
		}
	}
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

// Limits bound what reading one archive may cost.
type Limits struct {
	// MaxBytes bounds the expanded size: everything gunzip yields, tar
	// headers included.
	MaxBytes int64
	// MaxRatio bounds the expansion: past Allowance expanded bytes, the
	// archive may not yield more than MaxRatio bytes per compressed byte
	// read so far. 0: no ratio bound.
	MaxRatio int64
	// Allowance is the expanded size that is never held against MaxRatio,
	// so that small archives of very compressible JSON pass.
	Allowance int64
	// Dir is where the archive is spooled; "": os.TempDir().
	Dir string
	// Tag goes into the spool directory's name, SpoolPrefix + Tag + "-*",
	// so that a stale one can be told from one in use; "" for none.
	Tag string
}

// SpoolPrefix begins the name of every directory Read spools to.
const SpoolPrefix = "switchboard-import-"

// TooLargeError is the refusal of an archive that crosses a bound of its
// Limits while it is read. It is an *Error too (see As).
type TooLargeError struct{ Msg string }

func (e *TooLargeError) Error() string { return e.Msg }

// As makes a *TooLargeError an *Error for callers that only tell defects
// from failures.
func (e *TooLargeError) As(target any) bool {
	if t, ok := target.(**Error); ok {
		*t = &Error{Msg: e.Msg}
		return true
	}
	return false
}

func tooLarge(limit int64) error {
	return &TooLargeError{Msg: fmt.Sprintf("the archive is too large: it expands to more than %d bytes, this server's limit", limit)}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// boundedReader yields the gunzipped stream and fails as soon as it has
// yielded more than the limits allow for the compressed bytes read so far,
// so that a compression bomb is refused before it is written out.
type boundedReader struct {
	r          io.Reader
	compressed *countingReader
	lim        Limits
	n          int64
	err        error
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	switch {
	case b.lim.MaxBytes > 0 && b.n > b.lim.MaxBytes:
		b.err = tooLarge(b.lim.MaxBytes)
	case b.lim.MaxRatio > 0 && b.n > b.lim.Allowance && b.n-b.lim.Allowance > b.lim.MaxRatio*b.compressed.n:
		b.err = &TooLargeError{Msg: fmt.Sprintf("the archive is too large for its size: it expands more than %d times over, as a compression bomb does", b.lim.MaxRatio)}
	}
	if b.err != nil {
		return 0, b.err
	}
	return n, err
}

// Read unpacks an archive, refusing one whose files do not match the
// manifest, one with unknown entries, and, as soon as it crosses one, one
// over lim (a *TooLargeError). On any error nothing it wrote remains.
func Read(r io.Reader, lim Limits) (_ *Archive, err error) {
	compressed := &countingReader{r: r}
	zr, err := gzip.NewReader(compressed)
	if err != nil {
		return nil, bad("not a gzip'd archive")
	}
	bounded := &boundedReader{r: zr, compressed: compressed, lim: lim}
	defer func() {
		// A bound crossed inside the tar reader or a copy surfaces there as
		// "truncated" or "corrupt": say which bound it was.
		if bounded.err != nil && err != nil {
			err = bounded.err
		}
	}()
	maxBytes := lim.MaxBytes
	if maxBytes <= 0 {
		maxBytes = 1<<63 - 1
	}
	tr := tar.NewReader(bounded)
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
	if lim.Dir != "" {
		if err := os.MkdirAll(lim.Dir, 0o700); err != nil {
			return nil, err
		}
	}
	if a.dir, err = os.MkdirTemp(lim.Dir, spoolPattern(lim.Tag)); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	seen := map[string]bool{}
	var total int64
	var mail *mailReader
	defer func() { mail.close() }()
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bad("the archive is truncated or corrupt")
		}
		if strings.HasPrefix(hdr.Name, maildirDir) {
			if mail == nil {
				if mail, err = a.openMail(seen[MaildirIndex]); err != nil {
					return nil, err
				}
			}
			if total += hdr.Size; total > maxBytes {
				return nil, tooLarge(maxBytes)
			}
			if err := mail.entry(hdr, tr); err != nil {
				return nil, err
			}
			continue
		}
		sum, ok := m.Files[hdr.Name]
		if !ok || mail != nil || !validName.MatchString(hdr.Name) || hdr.Typeflag != tar.TypeReg || seen[hdr.Name] {
			return nil, bad("unexpected entry %q in the archive", hdr.Name)
		}
		seen[hdr.Name] = true
		if hdr.Size != sum.Size {
			return nil, bad("entry %q is not the size the manifest says", hdr.Name)
		}
		if total += hdr.Size; total > maxBytes {
			return nil, tooLarge(maxBytes)
		}
		if err := spool(filepath.Join(a.dir, hdr.Name), tr, hdr.Size, sum.SHA256, hdr.Name); err != nil {
			return nil, err
		}
	}
	for name := range m.Files {
		if !seen[name] {
			return nil, bad("the archive lacks %q, which its manifest lists", name)
		}
	}
	if mail == nil && seen[MaildirIndex] {
		if mail, err = a.openMail(true); err != nil {
			return nil, err
		}
	}
	if err := mail.finish(); err != nil {
		return nil, err
	}
	return a, nil
}

func spoolPattern(tag string) string {
	if tag == "" {
		return SpoolPrefix + "*"
	}
	return SpoolPrefix + tag + "-*"
}

// SpoolTag returns the tag of a spool directory's name, and false for a
// name Read does not make or one made without a tag.
func SpoolTag(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, SpoolPrefix)
	if !ok {
		return "", false
	}
	tag, _, ok := strings.Cut(rest, "-")
	return tag, ok
}

// spool copies one entry of size bytes to path, checking its digest.
func spool(path string, r io.Reader, size int64, sha string, name string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, size))
	if cerr := f.Close(); cerr != nil {
		return cerr
	}
	if err != nil || n != size {
		return bad("the archive is truncated or corrupt")
	}
	if hex.EncodeToString(h.Sum(nil)) != sha {
		return bad("checksum of %q does not match the manifest", name)
	}
	return nil
}

// mailReader checks the Maildir entries of an archive, in order, against
// maildir.jsonl.
type mailReader struct {
	a    *Archive
	f    *os.File
	dec  *json.Decoder
	seq  int64
	last string
}

func (a *Archive) openMail(haveIndex bool) (*mailReader, error) {
	if !haveIndex {
		return nil, bad("the archive holds Maildir files but no %s before them", MaildirIndex)
	}
	f, err := os.Open(filepath.Join(a.dir, MaildirIndex))
	if err != nil {
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(a.dir, "m"), 0o700); err != nil {
		f.Close()
		return nil, err
	}
	dec := json.NewDecoder(bufio.NewReaderSize(f, 64<<10))
	dec.DisallowUnknownFields()
	return &mailReader{a: a, f: f, dec: dec}, nil
}

// next reads the next index line; io.EOF at the end.
func (m *mailReader) next() (*MaildirEntry, error) {
	var e MaildirEntry
	if err := m.dec.Decode(&e); err == io.EOF {
		return nil, io.EOF
	} else if err != nil {
		return nil, bad("%s line %d is not valid", MaildirIndex, m.seq+1)
	}
	return &e, nil
}

func (m *mailReader) entry(hdr *tar.Header, r io.Reader) error {
	e, err := m.next()
	if err == io.EOF || err == nil && e.Name != hdr.Name {
		return bad("unexpected entry %q in the archive: %s does not list it there", hdr.Name, MaildirIndex)
	}
	if err != nil {
		return err
	}
	if _, _, ok := splitMaildirName(hdr.Name); !ok || hdr.Typeflag != tar.TypeReg || m.last != "" && !pathAfter(m.last, hdr.Name) {
		return bad("unexpected entry %q in the archive", hdr.Name)
	}
	if hdr.Size != e.Size {
		return bad("entry %q is not the size %s says", hdr.Name, MaildirIndex)
	}
	m.last = hdr.Name
	if err := spool(m.a.mailSpool(m.seq), r, hdr.Size, e.SHA256, hdr.Name); err != nil {
		return err
	}
	m.seq++
	return nil
}

// finish checks that every listed Maildir file was in the archive.
func (m *mailReader) finish() error {
	if m == nil {
		return nil
	}
	if e, err := m.next(); err != io.EOF {
		if err != nil {
			return err
		}
		return bad("the archive lacks %q, which %s lists", e.Name, MaildirIndex)
	}
	return nil
}

func (m *mailReader) close() {
	if m != nil {
		m.f.Close()
	}
}

func (a *Archive) mailSpool(seq int64) string {
	return filepath.Join(a.dir, "m", strconv.FormatInt(seq, 10))
}

// Maildir calls fn for every Maildir file of the archive, in archive order
// (so all files of one local part together), with its contents.
func (a *Archive) Maildir(fn func(local, rel string, r io.Reader) error) error {
	if !a.Has(MaildirIndex) {
		return nil
	}
	return eachIndexLine(filepath.Join(a.dir, MaildirIndex), func(seq int64, e *MaildirEntry) error {
		local, rel, _ := splitMaildirName(e.Name)
		f, err := os.Open(a.mailSpool(seq))
		if err != nil {
			return err
		}
		defer f.Close()
		return fn(local, rel, f)
	})
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

// MaildirLocals calls fn once for every local part that has Maildir files
// in the archive, without opening them.
func (a *Archive) MaildirLocals(fn func(local string) error) error {
	if !a.Has(MaildirIndex) {
		return nil
	}
	last := ""
	return eachIndexLine(filepath.Join(a.dir, MaildirIndex), func(_ int64, e *MaildirEntry) error {
		local, _, _ := splitMaildirName(e.Name)
		if local == last {
			return nil
		}
		last = local
		return fn(local)
	})
}
