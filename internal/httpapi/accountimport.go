package httpapi

import (
	"net/http"

	sb "github.com/switchboard/switchboard"
)

// postAccountImport imports the accounts of a CSV file into a domain: the
// one of the path (POST /import/accounts/{domain_id}), or the one named by
// "domain" (query, or a multipart field before the file) on POST
// /import/accounts. The file is the raw body (text/csv) or the multipart
// field "file". A bad file is answered 422 with the mail admin's error and
// "errors": [{"line", "field", "reason"}...], "errors_total".
func (s *Server) postAccountImport(w http.ResponseWriter, r *http.Request) error {
	var ref sb.DomainRef
	if r.PathValue("domain_id") != "" {
		id, err := pathID(r, "domain_id")
		if err != nil {
			return err
		}
		ref.ID = id
	} else {
		ref.Name = r.URL.Query().Get("domain")
	}
	var name string
	body, err := uploadBody(r, errCSVBody.Message, []string{"text/csv", "application/csv", "text/plain", "application/octet-stream"},
		map[string]*string{"domain": &name})
	if err != nil {
		return err
	}
	if ref.ID == 0 && name != "" {
		ref.Name = name
	}
	if ref == (sb.DomainRef{}) {
		return sb.FieldError("domain", "name the domain: POST /import/accounts/{domain_id} or ?domain=NAME")
	}
	spy := &limitSpy{r: body}
	res, err := s.svc.ImportAccounts(r.Context(), actorOf(r), ref, spy, nil)
	if spy.err != nil {
		return spy.err
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"result": true, "domain": toDomainJSON(*res.Domain),
		"imported": res.Imported, "kept_hashes": res.Kept, "sip": res.SIP})
}

var errCSVBody = sb.Errorf(sb.EMALFORMED, "send the file as text/csv or as the multipart field \"file\"")
