package mailconfig_test

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// checkAppPasswords provisions app passwords through REST and JSON-RPC and
// checks that Dovecot (IMAP) and Postfix (SMTP AUTH through Dovecot's auth
// socket) take exactly the live ones, for their protocols, beside the
// mailbox password, without being restarted.
func checkAppPasswords(t *testing.T, api *apiClient, imapAddr, smtpAddr string) {
	const addr = "dora@apppw.example"
	created := api.Call("POST", "/domains", url.Values{"domain": {"apppw.example"}, "username": {addr}, "password": {"dora-password-1"}})
	userID := strconv.Itoa(int(created["user"].(map[string]any)["id"].(float64)))
	domainID := strconv.Itoa(int(created["domain"].(map[string]any)["id"].(float64)))
	mailboxPassword := "dora-password-1"

	// Every protocol, through REST.
	rest := api.Call("POST", "/app-password/"+userID, url.Values{"name": {"phone"}})
	phone := rest["password"].(string)
	phoneID := strconv.Itoa(int(rest["app_password"].(map[string]any)["id"].(float64)))
	// IMAP only, through JSON-RPC.
	imapOnly := rpcAppPassword(t, api, addr, "tablet", []string{"imap"})

	t.Run("an app password logs in over IMAP and SMTP AUTH beside the mailbox password", func(t *testing.T) {
		wantLogin(t, imapAddr, addr, phone, true)
		wantSMTPAuth(t, smtpAddr, addr, phone, true)
		wantLogin(t, imapAddr, addr, mailboxPassword, true)
		wantSMTPAuth(t, smtpAddr, addr, mailboxPassword, true)
	})
	t.Run("an app password limited to imap logs in over IMAP only", func(t *testing.T) {
		wantLogin(t, imapAddr, addr, imapOnly, true)
		wantSMTPAuth(t, smtpAddr, addr, imapOnly, false)
	})
	t.Run("a live handle with a wrong secret, or another mailbox's name, fails", func(t *testing.T) {
		forged := phone[:8] + "aaaaaaaaaaaaaaaaaaaaaaaa"
		wantLogin(t, imapAddr, addr, forged, false)
		wantSMTPAuth(t, smtpAddr, addr, forged, false)
		api.Call("POST", "/user/"+domainID, url.Values{"email": {"erin@apppw.example"}, "password": {"erin-password-1"}})
		wantLogin(t, imapAddr, "erin@apppw.example", phone, false)
		wantSMTPAuth(t, smtpAddr, "erin@apppw.example", phone, false)
	})
	t.Run("a revoked app password fails at the next login on both", func(t *testing.T) {
		api.Call("DELETE", "/app-passwords", url.Values{"id": {phoneID}})
		wantLogin(t, imapAddr, addr, phone, false)
		wantSMTPAuth(t, smtpAddr, addr, phone, false)
		wantLogin(t, imapAddr, addr, imapOnly, true)
		wantLogin(t, imapAddr, addr, mailboxPassword, true)
		wantSMTPAuth(t, smtpAddr, addr, mailboxPassword, true)
	})
	t.Run("a deactivated mailbox's app passwords fail until it is active again", func(t *testing.T) {
		api.RPC("mail.set", map[string]any{"mail": addr, "active": false})
		wantLogin(t, imapAddr, addr, imapOnly, false)
		api.RPC("mail.set", map[string]any{"mail": addr, "active": true})
		wantLogin(t, imapAddr, addr, imapOnly, true)
	})
	t.Run("a mailbox password change revokes the app passwords", func(t *testing.T) {
		api.RPC("mail.passwordset", map[string]any{"mail": addr, "password": "dora-password-2"})
		mailboxPassword = "dora-password-2"
		wantLogin(t, imapAddr, addr, imapOnly, false)
		wantLogin(t, imapAddr, addr, mailboxPassword, true)
		wantSMTPAuth(t, smtpAddr, addr, mailboxPassword, true)
	})
	t.Run("an app password revoked through JSON-RPC fails", func(t *testing.T) {
		again := rpcAppPassword(t, api, addr, "laptop", nil)
		wantSMTPAuth(t, smtpAddr, addr, again, true)
		var list struct {
			Result []struct{ ID int64 }
		}
		api.RPCRaw("mail.apppassword.list", map[string]any{"mail": addr}, &list)
		if len(list.Result) != 1 {
			t.Fatalf("mail.apppassword.list: %+v, want the one app password", list)
		}
		api.RPC("mail.apppassword.del", map[string]any{"id": list.Result[0].ID})
		wantSMTPAuth(t, smtpAddr, addr, again, false)
		wantLogin(t, imapAddr, addr, again, false)
		wantLogin(t, imapAddr, addr, mailboxPassword, true)
	})
}

// rpcAppPassword creates an app password through mail.apppassword.add and
// returns its secret.
func rpcAppPassword(t *testing.T, api *apiClient, mail, memo string, protocols []string) string {
	t.Helper()
	var res struct {
		Result struct{ Password string }
		Error  any
	}
	params := map[string]any{"mail": mail, "memo": memo}
	if protocols != nil {
		params["protocols"] = protocols
	}
	api.RPCRaw("mail.apppassword.add", params, &res)
	if res.Error != nil || res.Result.Password == "" {
		t.Fatalf("mail.apppassword.add: %+v", res)
	}
	return res.Result.Password
}

// wantSMTPAuth checks whether Postfix takes user and pass in SMTP AUTH
// PLAIN (which it asks Dovecot about).
func wantSMTPAuth(t *testing.T, smtpAddr, user, pass string, ok bool) {
	t.Helper()
	c, err := smtp.Dial(smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Auth(sasl.NewPlainClient("", user, pass))
	if ok && err != nil {
		t.Errorf("SMTP AUTH %s: %v, want success", user, err)
	}
	if !ok {
		if err == nil {
			t.Errorf("SMTP AUTH %s succeeded, want refusal", user)
		} else if se, isSMTP := err.(*smtp.SMTPError); !isSMTP || se.Code != 535 {
			t.Errorf("SMTP AUTH %s: %v, want 535 (authentication failed)", user, err)
		}
	}
}
