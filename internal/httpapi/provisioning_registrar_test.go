package httpapi_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/profile"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestProvisioningRegistrar: the registrar of the service's configuration
// (serve --sip-registrar) is what a provisioned phone's proxy_0 registers
// to and routes through; without one, the domain over TLS, and reg_route
// comes empty so that a stale route is cleared.
func TestProvisioningRegistrar(t *testing.T) {
	cases := []struct {
		name, registrar, proxy, route string
	}{
		{"without a registrar the phone registers to its domain and clears its route", "",
			"<sip:sip.example.org;transport=tls>", ""},
		{"with a registrar the phone registers and routes through it", "sip:registrar.example.net;transport=tcp",
			"<sip:registrar.example.net;transport=tcp>", "<sip:registrar.example.net;transport=tcp>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				c := testenv.NewClock(time.Now())
				e := newEnvWith(t, st, 0, func(cfg *service.Config) {
					cfg.Now, cfg.SIPDomain, cfg.SIPRegistrar = c.Now, "sip.example.org", tc.registrar
				})
				p := &sipEnv{env: e, clock: c}
				tok := e.tenant("acme", sb.RoleTenant)
				e.do("POST", "/domains", tok, form{"domain": "sip.example.org", "username": "postmaster@sip.example.org", "password": "postmaster-pw"}).want(201)
				if _, err := e.svc.CreateAccountCLI(context.Background(), sb.SystemActor, "admin@sip.example.org", "admin-password", "", true); err != nil {
					t.Fatal(err)
				}
				admin := func(method, path string, body any) *sipResult {
					return p.digestDo(method, path, "admin", "sip.example.org", "admin-password", digest.SHA256, body)
				}
				r := admin("POST", "/api/accounts", map[string]any{"username": "phone1", "password": "phone-password", "algorithm": "SHA-256"}).want(t, 201)
				key, id := r.json["confirmation_key"].(string), int64(r.json["id"].(float64))
				admin("POST", fmt.Sprintf("/api/accounts/%d/activate", id), nil).want(t, 200)

				code, _, body := fetchProvisioning(t, e.url+"/provisioning/"+key)
				var doc profile.LinphoneConfig
				if code != 200 || xml.Unmarshal([]byte(body), &doc) != nil {
					t.Fatalf("status %d %s", code, body)
				}
				got := map[string]*profile.LinphoneEntry{}
				for _, s := range doc.Sections {
					if s.Name == "proxy_0" {
						for i := range s.Entries {
							got[s.Entries[i].Name] = &s.Entries[i]
						}
					}
				}
				for name, want := range map[string]string{"reg_proxy": tc.proxy, "reg_route": tc.route} {
					if got[name] == nil || got[name].Value != want || got[name].Overwrite != "true" {
						t.Errorf("proxy_0 %s = %+v, want %q with overwrite=\"true\"\n%s", name, got[name], want, body)
					}
				}
			})
		})
	}
}
