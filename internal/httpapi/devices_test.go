package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/store"
)

// register writes a binding of user@domain into location the way Kamailio
// 5.6's usrloc (db_mode 3) does on a REGISTER.
func (e *sipEnv) register(user, domain string, b store.Binding) {
	e.t.Helper()
	if b.Modified.IsZero() {
		b.Modified = e.clock.Now().Add(-time.Minute)
	}
	if err := e.store.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.WriteKamailioBinding(context.Background(), user, domain, b)
	}); err != nil {
		e.t.Fatal(err)
	}
}

// bindings lists the ruids of user@domain's location rows.
func (e *sipEnv) bindings(user, domain string) []string {
	e.t.Helper()
	bs, err := e.store.Read().Bindings(context.Background(), user, domain)
	if err != nil {
		e.t.Fatal(err)
	}
	var ruids []string
	for _, b := range bs {
		ruids = append(ruids, b.Ruid)
	}
	return ruids
}

const (
	phoneUUID  = "urn:uuid:0a1b2c3d-1111-4222-8333-444455556666"
	tabletUUID = "urn:uuid:99999999-aaaa-4bbb-8ccc-dddddddddddd"
	phoneCT    = "sip:alice@192.0.2.10:40312;transport=tcp;pn-provider=fcm;pn-param=ABCD1234.org.linphone.phone;pn-prid=fcm-token%3A42"
)

// twoDevices registers alice's phone (with push parameters), her tablet
// (quoted instance), a softphone without +sip.instance, an expired old
// phone, and bob's phone in the other domain.
func (e *sipEnv) twoDevices() {
	now := e.clock.Now()
	e.register("alice", "sip.example.org", store.Binding{Ruid: "uloc-phone", Contact: phoneCT, Instance: "<" + phoneUUID + ">",
		UserAgent: "LinphoneAndroid/5.2.5 (Pixel 7) LinphoneSDK/5.3.0", Expires: now.Add(time.Hour), Modified: now.Add(-2 * time.Minute)})
	e.register("alice", "sip.example.org", store.Binding{Ruid: "uloc-tablet", Contact: "sip:alice@192.0.2.11:5060", Instance: `"<` + tabletUUID + `>"`,
		UserAgent: "Linphone-Desktop/5.2", Expires: now.Add(10 * time.Minute)})
	e.register("alice", "sip.example.org", store.Binding{Ruid: "uloc-soft", Contact: "sip:alice@192.0.2.12:5070", UserAgent: "sipp",
		Expires: now.Add(time.Hour)})
	e.register("alice", "sip.example.org", store.Binding{Ruid: "uloc-old", Contact: "sip:alice@192.0.2.13", Instance: "<urn:uuid:old>",
		UserAgent: "old", Expires: now.Add(-time.Second)})
	e.register("bob", "other.example", store.Binding{Ruid: "uloc-bob", Contact: "sip:bob@192.0.2.20", Instance: "<urn:uuid:bob>",
		UserAgent: "bob", Expires: now.Add(time.Hour)})
}

func deviceKeys(m map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestDevicesOfOneself(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		alice := func(method, path string) *sipResult {
			t.Helper()
			return e.digestDo(method, path, "alice", "sip.example.org", "alice-password", digest.SHA256, nil)
		}
		t.Run("no registration is an empty object", func(t *testing.T) {
			if r := alice("GET", "/api/accounts/me/devices").want(t, 200); strings.TrimSpace(r.body) != "{}" {
				t.Fatalf("body %s", r.body)
			}
		})
		e.twoDevices()
		softID := sb.DeviceID("", "sip:alice@192.0.2.12:5070")
		t.Run("the live bindings are listed by uuid with their fields", func(t *testing.T) {
			r := alice("GET", "/api/accounts/me/devices").want(t, 200)
			want := []string{softID, phoneUUID, tabletUUID}
			slices.Sort(want)
			if got := deviceKeys(r.json); !slices.Equal(got, want) {
				t.Fatalf("devices %v, want %v: %s", got, want, r.body)
			}
			phone := r.json[phoneUUID].(map[string]any)
			now := e.clock.Now()
			if phone["uuid"] != phoneUUID || phone["contact"] != phoneCT ||
				phone["user_agent"] != "LinphoneAndroid/5.2.5 (Pixel 7) LinphoneSDK/5.3.0" ||
				phone["update_time"] != now.Add(-2*time.Minute).UTC().Format(time.RFC3339) ||
				phone["expires_at"] != now.Add(time.Hour).UTC().Format(time.RFC3339) {
				t.Fatalf("phone %v", phone)
			}
			push, _ := phone["push"].(map[string]any)
			if push["provider"] != "fcm" || push["param"] != "ABCD1234.org.linphone.phone" || push["prid"] != "fcm-token:42" || len(push) != 3 {
				t.Fatalf("push %v", phone["push"])
			}
			if tablet := r.json[tabletUUID].(map[string]any); tablet["push"] != nil || tablet["user_agent"] != "Linphone-Desktop/5.2" {
				t.Fatalf("tablet %v", tablet)
			}
			if soft := r.json[softID].(map[string]any); soft["uuid"] != softID || soft["contact"] != "sip:alice@192.0.2.12:5070" {
				t.Fatalf("softphone %v", soft)
			}
		})
		t.Run("a binding that expires meanwhile drops out", func(t *testing.T) {
			e.clock.Add(11 * time.Minute)
			r := alice("GET", "/api/accounts/me/devices").want(t, 200)
			if _, ok := r.json[tabletUUID]; ok || len(r.json) != 2 {
				t.Fatalf("devices %v", deviceKeys(r.json))
			}
		})
		refusals := []struct{ name, uuid string }{
			{"an unknown uuid", "urn:uuid:nope"},
			{"an expired device", "urn:uuid:old"},
			{"another account's device", "urn:uuid:bob"},
		}
		for _, tt := range refusals {
			t.Run(tt.name+" is not found and nothing changes", func(t *testing.T) {
				alice("DELETE", "/api/accounts/me/devices/"+url.PathEscape(tt.uuid)).wantError(t, 404, "")
				if got := e.bindings("alice", "sip.example.org"); len(got) != 4 {
					t.Fatalf("alice's bindings %v", got)
				}
				if got := e.bindings("bob", "other.example"); len(got) != 1 {
					t.Fatalf("bob's bindings %v", got)
				}
			})
		}
		t.Run("deleting a device removes its binding at once", func(t *testing.T) {
			alice("DELETE", "/api/accounts/me/devices/"+phoneUUID).want(t, 200)
			if got := e.bindings("alice", "sip.example.org"); !slices.Equal(got, []string{"uloc-tablet", "uloc-soft", "uloc-old"}) {
				t.Fatalf("bindings left %v", got)
			}
			alice("DELETE", "/api/accounts/me/devices/"+phoneUUID).wantError(t, 404, "")
			alice("DELETE", "/api/accounts/me/devices/"+softID).want(t, 200)
			if r := alice("GET", "/api/accounts/me/devices").want(t, 200); strings.TrimSpace(r.body) != "{}" {
				t.Fatalf("body %s", r.body)
			}
		})
		t.Run("curl --digest reads them as a phone app would", func(t *testing.T) {
			status, body := e.curlDigest("alice", "alice-password", "sip:alice@sip.example.org", "/api/accounts/me/devices")
			if status != 200 || strings.TrimSpace(body) != "{}" {
				t.Fatalf("curl: %d %s", status, body)
			}
		})
	})
}

func TestDevicesForAdmins(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		e.twoDevices()
		aliceID, bobID := e.accountID("alice@sip.example.org"), e.accountID("bob@other.example")
		admin := func(domain, method, path string) *sipResult {
			t.Helper()
			return e.digestDo(method, path, "admin", domain, "admin-password", digest.SHA256, nil)
		}
		path := func(id int64, rest string) string { return fmt.Sprintf("/api/accounts/%d/devices%s", id, rest) }
		t.Run("an admin lists an account of its domain", func(t *testing.T) {
			r := admin("sip.example.org", "GET", path(aliceID, "")).want(t, 200)
			if len(r.json) != 3 || r.json[phoneUUID] == nil {
				t.Fatalf("devices %s", r.body)
			}
		})
		t.Run("an admin of another domain finds nothing and deletes nothing", func(t *testing.T) {
			admin("other.example", "GET", path(aliceID, "")).wantError(t, 404, "")
			admin("other.example", "DELETE", path(aliceID, "/"+phoneUUID)).wantError(t, 404, "")
			admin("sip.example.org", "GET", path(bobID, "")).wantError(t, 404, "")
			if got := e.bindings("alice", "sip.example.org"); len(got) != 4 {
				t.Fatalf("alice's bindings %v", got)
			}
		})
		t.Run("a user who is no admin may not read another account", func(t *testing.T) {
			adminID := e.accountID("admin@sip.example.org")
			e.digestDo("GET", path(adminID, ""), "alice", "sip.example.org", "alice-password", digest.SHA256, nil).wantError(t, 403, "")
		})
		t.Run("an unknown account is not found", func(t *testing.T) {
			admin("sip.example.org", "GET", path(999999, "")).wantError(t, 404, "")
			admin("sip.example.org", "GET", "/api/accounts/x/devices").wantError(t, 404, "")
		})
		t.Run("an admin deletes a device of its domain", func(t *testing.T) {
			admin("sip.example.org", "DELETE", path(aliceID, "/"+tabletUUID)).want(t, 200)
			if got := e.bindings("alice", "sip.example.org"); slices.Contains(got, "uloc-tablet") || len(got) != 3 {
				t.Fatalf("bindings left %v", got)
			}
			admin("sip.example.org", "DELETE", path(aliceID, "/"+tabletUUID)).wantError(t, 404, "")
		})
	})
}

func TestDevicesInTheMailAdminAPI(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		e.twoDevices()
		acme, other := e.login("acme", "pw-acme-secret"), e.login("other", "pw-other-secret")
		aliceID := e.accountID("alice@sip.example.org")
		t.Run("the tenant lists its account's devices", func(t *testing.T) {
			r := e.do("GET", fmt.Sprintf("/devices/%d", aliceID), acme, nil).want(200)
			devs, _ := r.json["devices"].(map[string]any)
			if r.json["result"] != true || len(devs) != 3 || devs[phoneUUID].(map[string]any)["push"].(map[string]any)["provider"] != "fcm" {
				t.Fatalf("answer %s", r.body)
			}
		})
		t.Run("another tenant finds nothing", func(t *testing.T) {
			e.do("GET", fmt.Sprintf("/devices/%d", aliceID), other, nil).wantError(404, "not found")
			e.do("DELETE", fmt.Sprintf("/devices/%d/%s", aliceID, phoneUUID), other, nil).wantError(404, "not found")
			if got := e.bindings("alice", "sip.example.org"); len(got) != 4 {
				t.Fatalf("alice's bindings %v", got)
			}
		})
		t.Run("a bad id or no token is refused", func(t *testing.T) {
			e.do("GET", "/devices/abc", acme, nil).wantError(400, "account_id")
			e.do("GET", fmt.Sprintf("/devices/%d", aliceID), "", nil).want(401)
		})
		t.Run("the tenant deletes a device", func(t *testing.T) {
			e.do("DELETE", fmt.Sprintf("/devices/%d/%s", aliceID, phoneUUID), acme, nil).want(200)
			if got := e.bindings("alice", "sip.example.org"); slices.Contains(got, "uloc-phone") {
				t.Fatalf("bindings left %v", got)
			}
		})
	})
}

// TestBindingsDieWithTheAccount goes through every API path that switches
// an account off or deletes it: its registrations go in the same
// transaction, others' stay.
func TestBindingsDieWithTheAccount(t *testing.T) {
	paths := []struct {
		name string
		do   func(t *testing.T, e *sipEnv)
		gone []string // accounts whose bindings must be gone
	}{
		{"a SIP admin deactivates the account", func(t *testing.T, e *sipEnv) {
			e.digestDo("POST", fmt.Sprintf("/api/accounts/%d/deactivate", e.accountID("alice@sip.example.org")),
				"admin", "sip.example.org", "admin-password", digest.SHA256, nil).want(t, 200)
		}, []string{"alice"}},
		{"the user deletes itself", func(t *testing.T, e *sipEnv) {
			e.digestDo("DELETE", "/api/accounts/me", "alice", "sip.example.org", "alice-password", digest.SHA256, nil).want(t, 200)
		}, []string{"alice"}},
		{"a SIP admin deletes the account", func(t *testing.T, e *sipEnv) {
			e.digestDo("DELETE", fmt.Sprintf("/api/accounts/%d", e.accountID("alice@sip.example.org")),
				"admin", "sip.example.org", "admin-password", digest.SHA256, nil).want(t, 200)
		}, []string{"alice"}},
		{"the tenant deletes the mailbox", func(t *testing.T, e *sipEnv) {
			e.do("DELETE", "/users", e.login("acme", "pw-acme-secret"), form{"email": "alice@sip.example.org"}).want(200)
		}, []string{"alice"}},
		{"the tenant deletes the domain", func(t *testing.T, e *sipEnv) {
			e.do("DELETE", "/domain", e.login("acme", "pw-acme-secret"), form{"domain": "sip.example.org"}).want(200)
		}, []string{"alice", "admin"}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			eachSIP(t, func(t *testing.T, e *sipEnv) {
				e.twoDevices()
				e.register("admin", "sip.example.org", store.Binding{Ruid: "uloc-admin", Contact: "sip:admin@192.0.2.30",
					Expires: e.clock.Now().Add(time.Hour)})
				p.do(t, e)
				for _, who := range []string{"alice", "admin"} {
					got := e.bindings(who, "sip.example.org")
					if gone := slices.Contains(p.gone, who); gone != (len(got) == 0) {
						t.Fatalf("%s's bindings after: %v (want gone: %v)", who, got, gone)
					}
				}
				if got := e.bindings("bob", "other.example"); len(got) != 1 {
					t.Fatalf("another domain's binding went too: %v", got)
				}
			})
		})
	}
}

func TestSIPPlaneAlgorithmGetsItsHA1(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		ctx := context.Background()
		ha1s := func(email string) (md5, sha string) {
			t.Helper()
			_, c, err := e.store.Read().AccountCredentials(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			return c.HA1MD5, c.HA1SHA256
		}
		change := func(old, password string) {
			t.Helper()
			e.digestDo("POST", "/api/accounts/me/password", "alice", "sip.example.org", old, digest.SHA256,
				map[string]string{"algorithm": "SHA-256", "old_password": old, "password": password}).want(t, 200)
		}
		t.Run("without a plane setting a SHA-256 change keeps only SHA-256", func(t *testing.T) {
			change("alice-password", "alice-pw-2")
			if md5, sha := ha1s("alice@sip.example.org"); md5 != "" || sha == "" {
				t.Fatalf("HA1s md5 %q sha %q", md5, sha)
			}
		})
		t.Run("setting the plane counts the accounts that cannot register", func(t *testing.T) {
			if n, err := e.svc.SetSIPPlaneAlgorithm(ctx, sb.SystemActor, digest.MD5); err != nil || n != 1 {
				t.Fatalf("missing %d %v, want 1 (alice)", n, err)
			}
			if n, err := e.svc.SetSIPPlaneAlgorithm(ctx, sb.SystemActor, digest.SHA256); err != nil || n != 0 {
				t.Fatalf("missing %d %v, want 0", n, err)
			}
		})
		t.Run("only operators set it, to a known algorithm", func(t *testing.T) {
			tenant := sb.Actor{TenantID: 1, TenantName: "acme", Role: sb.RoleTenant}
			if _, err := e.svc.SetSIPPlaneAlgorithm(ctx, tenant, digest.MD5); sb.ErrorCode(err) != sb.EFORBIDDEN {
				t.Fatalf("a tenant set it: %v", err)
			}
			if _, err := e.svc.SetSIPPlaneAlgorithm(ctx, sb.SystemActor, "SHA-512"); sb.ErrorCode(err) != sb.EINVALID {
				t.Fatalf("an unknown algorithm: %v", err)
			}
			if alg, err := e.svc.SIPPlaneAlgorithm(ctx); err != nil || alg != digest.SHA256 {
				t.Fatalf("plane algorithm %q %v after refusals", alg, err)
			}
		})
		t.Run("with plane MD5 a SHA-256-only change writes both HA1s", func(t *testing.T) {
			if _, err := e.svc.SetSIPPlaneAlgorithm(ctx, sb.SystemActor, digest.MD5); err != nil {
				t.Fatal(err)
			}
			change("alice-pw-2", "alice-pw-3")
			md5, sha := ha1s("alice@sip.example.org")
			wantMD5, _ := digest.HA1(digest.MD5, "alice", "sip.example.org", "alice-pw-3")
			if md5 != wantMD5 || sha == "" {
				t.Fatalf("HA1s md5 %q (want %q) sha %q", md5, wantMD5, sha)
			}
			r := e.digestDo("GET", "/api/accounts/me", "alice", "sip.example.org", "alice-pw-3", digest.MD5, nil).want(t, 200)
			if algs, _ := r.json["algorithms"].([]any); len(algs) != 2 {
				t.Fatalf("algorithms %v", r.json["algorithms"])
			}
		})
		t.Run("with plane MD5 an admin's SHA-256 account gets both", func(t *testing.T) {
			r := e.digestDo("POST", "/api/accounts", "admin", "sip.example.org", "admin-password", digest.SHA256,
				map[string]any{"username": "carol1", "password": "carol-pw", "algorithm": "SHA-256", "activated": true}).want(t, 201)
			if algs, _ := r.json["algorithms"].([]any); len(algs) != 2 || algs[0] != "MD5" || algs[1] != "SHA-256" {
				t.Fatalf("algorithms %v", r.json["algorithms"])
			}
			if md5, sha := ha1s("carol1@sip.example.org"); md5 == "" || sha == "" {
				t.Fatalf("HA1s md5 %q sha %q", md5, sha)
			}
		})
		t.Run("unset, the asked algorithm alone is kept again", func(t *testing.T) {
			if _, err := e.svc.SetSIPPlaneAlgorithm(ctx, sb.SystemActor, ""); err != nil {
				t.Fatal(err)
			}
			change("alice-pw-3", "alice-pw-4")
			if md5, sha := ha1s("alice@sip.example.org"); md5 != "" || sha == "" {
				t.Fatalf("HA1s md5 %q sha %q", md5, sha)
			}
		})
	})
}
