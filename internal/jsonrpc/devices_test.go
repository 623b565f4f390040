package jsonrpc_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/store"
)

func (e *rpcEnv) register(user, domain, ruid, instance, contact string) {
	e.t.Helper()
	now := e.clock.Now()
	if err := e.st.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.WriteKamailioBinding(context.Background(), user, domain, store.Binding{Ruid: ruid, Contact: contact,
			Instance: instance, UserAgent: "Linphone/5.3", Expires: now.Add(time.Hour), Modified: now})
	}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *rpcEnv) bindings(user, domain string) int {
	e.t.Helper()
	bs, err := e.st.Read().Bindings(context.Background(), user, domain)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(bs)
}

func TestMailDevices(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		owner, other := e.login("test_account", "123456-secret"), e.login("other", "123456-secret")
		e.call(owner, "domain.add", map[string]string{"domain": "phones.test"}).ok(t)
		e.call(owner, "mail.add", map[string]string{"mail": "alice@phones.test", "password": "password123"}).ok(t)
		e.call(owner, "mail.add", map[string]string{"mail": "bob@phones.test", "password": "password123"}).ok(t)
		list := func(session string, params map[string]string) map[string]map[string]any {
			t.Helper()
			var out map[string]map[string]any
			if err := json.Unmarshal(e.call(session, "mail.device.list", params).ok(t), &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		t.Run("no registration is an empty object", func(t *testing.T) {
			if got := string(e.call(owner, "mail.device.list", map[string]string{"mail": "alice@phones.test"}).ok(t)); got != "{}" {
				t.Fatalf("result %s", got)
			}
		})
		e.register("alice", "phones.test", "r1", "<urn:uuid:1>", "sip:alice@192.0.2.1;pn-provider=apns;pn-param=T.org.app.voip;pn-prid=abc")
		e.register("bob", "phones.test", "r2", "<urn:uuid:2>", "sip:bob@192.0.2.2")
		t.Run("the tenant lists a mailbox's devices", func(t *testing.T) {
			got := list(owner, map[string]string{"mail": "Alice@Phones.test"})
			d := got["urn:uuid:1"]
			push, _ := d["push"].(map[string]any)
			if len(got) != 1 || d["contact"] == nil || d["user_agent"] != "Linphone/5.3" || push["provider"] != "apns" || push["prid"] != "abc" {
				t.Fatalf("devices %v", got)
			}
		})
		t.Run("a mailbox session lists its own", func(t *testing.T) {
			alice := e.login("alice@phones.test", "password123")
			if got := list(alice, map[string]string{}); len(got) != 1 || got["urn:uuid:1"] == nil {
				t.Fatalf("devices %v", got)
			}
			e.call(alice, "mail.device.list", map[string]string{"mail": "bob@phones.test"}).fails(t, 2, "")
			e.call(alice, "mail.device.del", map[string]string{"mail": "bob@phones.test", "uuid": "urn:uuid:2"}).fails(t, 2, "")
		})
		t.Run("another tenant finds nothing and deletes nothing", func(t *testing.T) {
			e.call(other, "mail.device.list", map[string]string{"mail": "alice@phones.test"}).fails(t, 3, "")
			e.call(other, "mail.device.del", map[string]string{"mail": "alice@phones.test", "uuid": "urn:uuid:1"}).fails(t, 3, "")
			if n := e.bindings("alice", "phones.test"); n != 1 {
				t.Fatalf("%d bindings", n)
			}
		})
		t.Run("missing or bad params are refused", func(t *testing.T) {
			e.call(owner, "mail.device.list", map[string]string{}).fails(t, -32602, "mail")
			e.call(owner, "mail.device.del", map[string]string{"mail": "alice@phones.test"}).fails(t, -32602, "uuid")
			e.call(owner, "mail.device.del", map[string]string{"mail": "alice@phones.test", "uuid": "urn:uuid:nope"}).fails(t, 3, "")
			e.call(owner, "mail.device.list", map[string]string{"mail": "not an address"}).fails(t, 5, "mail")
		})
		t.Run("the tenant deletes a device", func(t *testing.T) {
			if got := string(e.call(owner, "mail.device.del", map[string]string{"mail": "alice@phones.test", "uuid": "urn:uuid:1"}).ok(t)); got != "true" {
				t.Fatalf("result %s", got)
			}
			if n := e.bindings("alice", "phones.test"); n != 0 {
				t.Fatalf("%d bindings left", n)
			}
		})
		t.Run("switching a mailbox off with mail.set removes its bindings", func(t *testing.T) {
			e.call(owner, "mail.set", map[string]any{"mail": "bob@phones.test", "active": false}).ok(t)
			if n := e.bindings("bob", "phones.test"); n != 0 {
				t.Fatalf("%d bindings left", n)
			}
		})
	})
}
