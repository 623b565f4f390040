package httpapi

import (
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"

	sb "github.com/switchboard/switchboard"
)

func (s *Server) registerExport() {
	s.handle("GET /export/domain", s.mailAdmin(s.withTenant(s.getExport)))
	s.handleLimit("POST /import/domain", s.maxImport, s.mailAdmin(s.withTenant(s.postImport)))
	s.handleLimit("POST /import/accounts", s.maxImport, s.mailAdmin(s.withTenant(s.postAccountImport)))
	s.handleLimit("POST /import/accounts/{domain_id}", s.maxImport, s.mailAdmin(s.withTenant(s.postAccountImport)))
}

func (s *Server) getExport(w http.ResponseWriter, r *http.Request) error {
	_, v, err := readRequired(r, "domain")
	if err != nil {
		return err
	}
	domain := v[0]
	exp, err := s.svc.ExportDomain(r.Context(), actorOf(r), domain)
	if err != nil {
		return err
	}
	defer exp.Close()
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": exp.FileName()}))
	w.Header().Set("Cache-Control", "no-store")
	if err := exp.Stream(s.progressWriter(w)); err != nil {
		// The status is sent: break the connection so the client sees a
		// truncated archive rather than a short one that looks whole.
		s.log.ErrorContext(r.Context(), "export failed while streaming", "domain", domain, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// postImport takes the archive as the raw body (application/gzip) or as the
// multipart field "file"; the owner may be named by "tenant" (query, or a
// multipart field before the file).
func (s *Server) postImport(w http.ResponseWriter, r *http.Request) error {
	tenant := r.URL.Query().Get("tenant")
	body, err := uploadBody(r, "send the archive as application/gzip or as the multipart field \"file\"",
		[]string{"application/gzip", "application/x-gzip", "application/octet-stream"},
		map[string]*string{"tenant": &tenant})
	if err != nil {
		return err
	}
	spy := &limitSpy{r: body}
	res, err := s.svc.ImportDomain(r.Context(), actorOf(r), tenant, spy)
	if spy.err != nil {
		return spy.err
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"result": true, "domain": toDomainJSON(*res.Domain),
		"accounts": res.Accounts, "aliases": res.Aliases, "dkim_keys": res.DKIMKeys, "certificates": res.Certificates})
}

// uploadBody is an uploaded file: the raw body when its media type is one
// of raw, or the multipart field "file"; the multipart fields named in
// fields (before the file, at most 256 bytes each) are read into them.
// refusal is the message for any other body.
func uploadBody(r *http.Request, refusal string, raw []string, fields map[string]*string) (io.Reader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err != nil:
		return nil, sb.Errorf(sb.EMALFORMED, "%s", refusal)
	case slices.Contains(raw, mt):
		return r.Body, nil
	case mt != "multipart/form-data":
		return nil, sb.Errorf(sb.EMALFORMED, "%s", refusal)
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, sb.FieldError("file", "the multipart body has no \"file\" field")
		}
		if part.FormName() == "file" {
			return part, nil
		}
		if dst, ok := fields[part.FormName()]; ok {
			v, _ := io.ReadAll(io.LimitReader(part, 256))
			*dst = string(v)
		}
	}
}

// limitSpy notices when the body limit cuts an upload short, so the sender
// gets 413 rather than "corrupt archive".
type limitSpy struct {
	r   io.Reader
	err error
}

func (l *limitSpy) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	var mbe *http.MaxBytesError
	if err != nil && asMaxBytes(err, &mbe) {
		l.err = sb.Errorf(sb.ETOOLARGE, "the archive is larger than %d bytes", mbe.Limit)
	}
	return n, err
}
