package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/auth"

	sb "github.com/switchboard/switchboard"
)

func TestMailAdminWalkThrough(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		tok := e.tenant("acme", sb.RoleTenant)

		res := e.do("POST", "/domains", tok, form{"domain": "Example.COM", "username": "admin@example.com", "password": "password123"}).want(201)
		if res.json["result"] != true || idOf(res, "domain", "id") == 0 || idOf(res, "user", "domain_id") != idOf(res, "domain", "id") {
			t.Fatalf("create domain: %s", res.body)
		}
		domainID := idOf(res, "domain", "id")
		adminID := idOf(res, "user", "id")
		if d := res.json["domain"].(map[string]any); d["name"] != "example.com" || d["users_count"] != 1.0 {
			t.Fatalf("domain not normalised: %s", res.body)
		}

		res = e.do("POST", fmt.Sprintf("/user/%d", domainID), tok, form{"email": "bob@example.com", "password": "password123"}).want(201)
		bobID := idOf(res, "user", "id")
		if u := res.json["user"].(map[string]any); u["email"] != "bob@example.com" || int64(u["domain_id"].(float64)) != domainID {
			t.Fatalf("create user: %s", res.body)
		}

		res = e.do("GET", "/domains", tok, nil).want(200)
		want := fmt.Sprintf(`{"domains":[{"id":%d,"name":"example.com","users_count":2}]}`, domainID)
		if strings.TrimSpace(res.body) != want {
			t.Fatalf("GET /domains = %s, want %s", res.body, want)
		}

		res = e.do("GET", fmt.Sprintf("/users/%d", domainID), tok, nil).want(200)
		const noQuota = `"quota":0,"quota_messages":0,"quota_used":0,"quota_used_messages":0`
		want = fmt.Sprintf(`{"users":[{"id":%d,"domain_id":%d,"email":"admin@example.com",`+noQuota+`},{"id":%d,"domain_id":%d,"email":"bob@example.com",`+noQuota+`}]}`,
			adminID, domainID, bobID, domainID)
		if strings.TrimSpace(res.body) != want {
			t.Fatalf("GET /users = %s, want %s", res.body, want)
		}

		_, oldHash, _ := e.store.Read().AccountByEmail(t.Context(), "bob@example.com")
		e.do("POST", "/user-change-password", tok, form{"id": fmt.Sprint(bobID), "password": "another-pass", "domain_id": fmt.Sprint(domainID)}).want(200)
		_, newHash, _ := e.store.Read().AccountByEmail(t.Context(), "bob@example.com")
		if newHash == oldHash || !strings.HasPrefix(newHash, "{ARGON2ID}$argon2id$") {
			t.Fatalf("password hash not changed: %q -> %q", oldHash, newHash)
		}

		e.do("DELETE", "/users", tok, form{"email": "bob@example.com"}).want(200)
		if s := e.snapshot(); len(s.Accounts) != 1 {
			t.Fatalf("after delete user: %v", s.Accounts)
		}

		e.do("DELETE", "/domain", tok, form{"domain": "example.com"}).want(200)
		if s := e.snapshot(); len(s.Domains) != 0 || len(s.Accounts) != 0 {
			t.Fatalf("after delete domain: %+v", s)
		}
		res = e.do("GET", "/domains", tok, nil).want(200)
		if strings.TrimSpace(res.body) != `{"domains":[]}` {
			t.Fatalf("empty list = %s", res.body)
		}

		audit, err := e.store.Read().AuditLog(t.Context(), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, a := range audit {
			actions = append(actions, a.Actor+" "+a.Action+" "+a.Object)
		}
		got := strings.Join(actions, "\n")
		wantAudit := strings.Join([]string{
			"system tenant.create tenant:acme",
			"tenant:acme domain.create domain:example.com",
			"tenant:acme account.create account:admin@example.com",
			"tenant:acme account.create account:bob@example.com",
			"tenant:acme account.passwd account:bob@example.com",
			"tenant:acme account.delete account:bob@example.com",
			"tenant:acme domain.delete domain:example.com",
		}, "\n")
		if got != wantAudit {
			t.Fatalf("audit log:\n%s\nwant:\n%s", got, wantAudit)
		}
	})
}

func TestBodyEncodings(t *testing.T) {
	encodings := []struct {
		name string
		enc  encoding
	}{
		{"multipart form", multipartForm},
		{"urlencoded form", urlencodedForm},
		{"JSON body", jsonBody},
		{"query string", queryString},
	}
	eachEnv(t, func(t *testing.T, e *env) {
		tok := e.tenant("acme", sb.RoleTenant)
		for i, enc := range encodings {
			t.Run(enc.name+" works for every method", func(t *testing.T) {
				domain := fmt.Sprintf("enc%d.example", i)
				res := e.doEnc("POST", "/domains", tok, form{"domain": domain, "username": "a@" + domain, "password": "password123"}, enc.enc).want(201)
				id := idOf(res, "domain", "id")
				e.doEnc("POST", fmt.Sprintf("/user/%d", id), tok, form{"email": "b@" + domain, "password": "password123"}, enc.enc).want(201)
				e.doEnc("GET", fmt.Sprintf("/users/%d", id), tok, form{"limit": "1"}, enc.enc).want(200)
				e.doEnc("DELETE", "/users", tok, form{"email": "b@" + domain}, enc.enc).want(200)
				e.doEnc("DELETE", "/domain", tok, form{"domain": domain}, enc.enc).want(200)
			})
		}
		t.Run("JSON numbers and strings are both accepted for ids", func(t *testing.T) {
			res := e.do("POST", "/domains", tok, form{"domain": "num.example", "username": "a@num.example", "password": "password123"}).want(201)
			id := idOf(res, "domain", "id")
			uid := idOf(res, "user", "id")
			body := fmt.Sprintf(`{"id":%d,"domain_id":"%d","password":"password456"}`, uid, id)
			e.raw("POST", "/user-change-password", tok, "application/json", strings.NewReader(body)).want(200)
		})
	})
}

func TestAuthRefusals(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		tok := e.tenant("acme", sb.RoleTenant)
		tests := []struct {
			name   string
			method string
			path   string
			token  string
			f      form
			status int
			msg    string
		}{
			{"a wrong password is refused", "POST", "/auth", "", form{"username": "acme", "password": "wrong-password"}, 401, "Username/password is not correct"},
			{"an unknown user gets the same answer", "POST", "/auth", "", form{"username": "nobody", "password": "pw-acme-secret"}, 401, "Username/password is not correct"},
			{"an empty login is refused", "POST", "/auth", "", form{}, 401, "Username/password is not correct"},
			{"no token is refused", "GET", "/domains", "", nil, 401, "auth token"},
			{"an unknown token is refused", "GET", "/domains", "not-a-token", nil, 401, "auth token"},
			{"no token on a write is refused", "POST", "/domains", "", form{"domain": "x.example", "username": "a@x.example", "password": "password123"}, 401, "auth token"},
			{"no token on delete is refused", "DELETE", "/domain", "", form{"domain": "x.example"}, 401, "auth token"},
			{"an unknown endpoint is 404 in the family's format", "GET", "/nope", tok, nil, 404, "no such endpoint"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot()
				e.do(tt.method, tt.path, tt.token, tt.f).wantError(tt.status, tt.msg)
				e.unchanged(before)
			})
		}
		t.Run("the Authorization Bearer header works like Auth-token", func(t *testing.T) {
			res := e.rawBearer("GET", "/domains", tok)
			res.want(200)
		})
		t.Run("a revoked token stops working", func(t *testing.T) {
			tok2 := e.login("acme", "pw-acme-secret")
			e.do("DELETE", "/auth", tok2, nil).want(200)
			e.do("GET", "/domains", tok2, nil).wantError(401, "auth token")
			e.do("GET", "/domains", tok, nil).want(200)
		})
		t.Run("tokens are stored only as digests", func(t *testing.T) {
			now := time.Now()
			if _, err := e.store.Read().TokenTenant(t.Context(), tok, now); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatalf("the clear token is a key in the database: %v", err)
			}
			if _, err := e.store.Read().TokenTenant(t.Context(), auth.HashToken(tok), now); err != nil {
				t.Fatalf("the token digest is not stored: %v", err)
			}
		})
	})
}

func TestAuthRateLimit(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.tenant("acme", sb.RoleTenant)
		// The limiter allows 10 failures per user name and per IP.
		for i := range 10 {
			e.do("POST", "/auth", "", form{"username": "acme", "password": fmt.Sprintf("wrong-%d", i)}).wantError(401, "not correct")
		}
		e.do("POST", "/auth", "", form{"username": "acme", "password": "wrong-again"}).wantError(429, "too many")
		// Even the right password is refused while the limit holds.
		e.do("POST", "/auth", "", form{"username": "acme", "password": "pw-acme-secret"}).wantError(429, "too many")
	})
	eachEnv(t, func(t *testing.T, e *env) {
		e.tenant("acme", sb.RoleTenant)
		// Spraying many user names from one address trips the per-IP limit.
		for i := range 10 {
			e.do("POST", "/auth", "", form{"username": fmt.Sprintf("user%d", i), "password": "guess"}).wantError(401, "not correct")
		}
		e.do("POST", "/auth", "", form{"username": "acme", "password": "pw-acme-secret"}).wantError(429, "too many")
	})
}

func TestTenantIsolation(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		alice := e.tenant("alice", sb.RoleTenant)
		mallory := e.tenant("mallory", sb.RoleTenant)
		op := e.tenant("root", sb.RoleOperator)
		res := e.do("POST", "/domains", alice, form{"domain": "alice.example", "username": "a@alice.example", "password": "password123"}).want(201)
		aliceDomain := idOf(res, "domain", "id")
		aliceUser := idOf(res, "user", "id")
		res = e.do("POST", "/domains", mallory, form{"domain": "mallory.example", "username": "m@mallory.example", "password": "password123"}).want(201)
		malloryDomain := idOf(res, "domain", "id")

		tests := []struct {
			name   string
			method string
			path   string
			f      form
			status int
			msg    string
		}{
			{"another tenant's users are not listed", "GET", fmt.Sprintf("/users/%d", aliceDomain), nil, 404, "domain not found"},
			{"no user is created in another tenant's domain", "POST", fmt.Sprintf("/user/%d", aliceDomain), form{"email": "x@alice.example", "password": "password123"}, 404, "domain not found"},
			{"another tenant's user keeps its password", "POST", "/user-change-password", form{"id": fmt.Sprint(aliceUser), "domain_id": fmt.Sprint(aliceDomain), "password": "password999"}, 404, "not found"},
			{"a foreign user cannot be moved into one's own domain id", "POST", "/user-change-password", form{"id": fmt.Sprint(aliceUser), "domain_id": fmt.Sprint(malloryDomain), "password": "password999"}, 404, "user not found"},
			{"another tenant's user is not deleted", "DELETE", "/users", form{"email": "a@alice.example"}, 404, "user not found"},
			{"another tenant's domain is not deleted", "DELETE", "/domain", form{"domain": "alice.example"}, 404, "domain not found"},
			{"another tenant's domain cannot be taken over", "POST", "/domains", form{"domain": "alice.example", "username": "m@alice.example", "password": "password123"}, 409, "already exists"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot()
				e.do(tt.method, tt.path, mallory, tt.f).wantError(tt.status, tt.msg)
				e.unchanged(before)
			})
		}
		t.Run("a tenant lists only its own domains", func(t *testing.T) {
			res := e.do("GET", "/domains", mallory, nil).want(200)
			if strings.Contains(res.body, "alice") || !strings.Contains(res.body, "mallory.example") {
				t.Fatalf("mallory sees %s", res.body)
			}
		})
		t.Run("an operator sees and manages every tenant's domains", func(t *testing.T) {
			res := e.do("GET", "/domains", op, nil).want(200)
			if !strings.Contains(res.body, "alice.example") || !strings.Contains(res.body, "mallory.example") {
				t.Fatalf("operator sees %s", res.body)
			}
			e.do("GET", fmt.Sprintf("/users/%d", aliceDomain), op, nil).want(200)
			e.do("POST", "/user-change-password", op, form{"id": fmt.Sprint(aliceUser), "domain_id": fmt.Sprint(aliceDomain), "password": "operator-set"}).want(200)
		})
	})
}

func TestInputRefusals(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		tok := e.tenant("acme", sb.RoleTenant)
		res := e.do("POST", "/domains", tok, form{"domain": "example.com", "username": "admin@example.com", "password": "password123"}).want(201)
		id := idOf(res, "domain", "id")
		uid := idOf(res, "user", "id")
		users := fmt.Sprintf("/user/%d", id)
		tests := []struct {
			name   string
			method string
			path   string
			f      form
			status int
			msg    string
		}{
			{"a domain is required", "POST", "/domains", form{"username": "a@b.example", "password": "password123"}, 422, "domain is required"},
			{"a bad domain name is refused", "POST", "/domains", form{"domain": "not a domain", "username": "a@x.example", "password": "password123"}, 422, "not a valid domain"},
			{"a one-label domain is refused", "POST", "/domains", form{"domain": "localhost", "username": "a@localhost", "password": "password123"}, 422, "not a valid domain"},
			{"a label with a leading hyphen is refused", "POST", "/domains", form{"domain": "-x.example", "username": "a@-x.example", "password": "password123"}, 422, "not a valid domain"},
			{"the first user must be in the new domain", "POST", "/domains", form{"domain": "new.example", "username": "a@other.example", "password": "password123"}, 422, "must be an address in new.example"},
			{"a short password is refused", "POST", "/domains", form{"domain": "new.example", "username": "a@new.example", "password": "short"}, 422, "at least 8"},
			{"a duplicate domain is refused", "POST", "/domains", form{"domain": "EXAMPLE.com", "username": "x@example.com", "password": "password123"}, 409, "already exists"},
			{"a bad email is refused", "POST", users, form{"email": "no-at-sign", "password": "password123"}, 422, "not a valid email"},
			{"a double dot in the local part is refused", "POST", users, form{"email": "a..b@example.com", "password": "password123"}, 422, "not a valid email"},
			{"an email of another domain is refused", "POST", users, form{"email": "a@other.example", "password": "password123"}, 422, "must be an address in example.com"},
			{"a duplicate user is refused", "POST", users, form{"email": "Admin@Example.com", "password": "password123"}, 409, "already exists"},
			{"a user needs a password", "POST", users, form{"email": "c@example.com"}, 422, "password is required"},
			{"a short user password is refused", "POST", users, form{"email": "c@example.com", "password": "1234567"}, 422, "at least 8"},
			{"an unknown domain id is 404", "POST", "/user/99999", form{"email": "c@example.com", "password": "password123"}, 404, "domain not found"},
			{"a non-numeric domain id is malformed", "GET", "/users/abc", nil, 400, "positive integer"},
			{"a negative limit is refused", "GET", fmt.Sprintf("/users/%d?limit=-1", id), nil, 422, "limit"},
			{"change password needs an id", "POST", "/user-change-password", form{"domain_id": fmt.Sprint(id), "password": "password123"}, 422, "id is required"},
			{"change password needs a numeric id", "POST", "/user-change-password", form{"id": "x", "domain_id": fmt.Sprint(id), "password": "password123"}, 422, "positive integer"},
			{"change password refuses a short password", "POST", "/user-change-password", form{"id": fmt.Sprint(uid), "domain_id": fmt.Sprint(id), "password": "short"}, 422, "at least 8"},
			{"change password of an unknown user is 404", "POST", "/user-change-password", form{"id": "99999", "domain_id": fmt.Sprint(id), "password": "password123"}, 404, "user not found"},
			{"deleting an unknown user is 404", "DELETE", "/users", form{"email": "ghost@example.com"}, 404, "user not found"},
			{"deleting an unknown domain is 404", "DELETE", "/domain", form{"domain": "ghost.example"}, 404, "domain not found"},
			{"delete domain needs a domain", "DELETE", "/domain", form{}, 422, "domain is required"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot()
				e.do(tt.method, tt.path, tok, tt.f).wantError(tt.status, tt.msg)
				e.unchanged(before)
			})
		}
		malformed := []struct {
			name  string
			ctype string
			body  string
		}{
			{"malformed JSON is 400", "application/json", `{"domain":`},
			{"a JSON array is 400", "application/json", `["domain"]`},
			{"an unknown content type is 400", "text/plain", "domain=x"},
			{"a multipart body without boundary is 400", "multipart/form-data", "--x\r\n"},
			{"a broken multipart body is 400", "multipart/form-data; boundary=zz", "--zz\r\nContent-Disposition: form-data; name=\"domain\"\r\n\r\nx"},
		}
		for _, tt := range malformed {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot()
				e.raw("POST", "/domains", tok, tt.ctype, strings.NewReader(tt.body)).wantError(400, "")
				e.unchanged(before)
			})
		}
	})
}

func TestBodyTooLarge(t *testing.T) {
	for _, b := range backendsForSmallBody(t) {
		t.Run(b.name, func(t *testing.T) {
			e := b.env
			tok := e.tenant("acme", sb.RoleTenant)
			before := e.snapshot()
			big := strings.Repeat("x", 8<<10)
			e.do("POST", "/domains", tok, form{"domain": "big.example", "username": "a@big.example", "password": big}).wantError(413, "larger than")
			e.doEnc("POST", "/domains", tok, form{"domain": "big.example", "username": "a@big.example", "password": big}, jsonBody).wantError(413, "larger than")
			e.unchanged(before)
		})
	}
}
