package mailconfig_test

import (
	"slices"
	"testing"
)

// checkCompat checks mailbox.org's forwarding of a mailbox in the mail
// plane (domain compat.example): Postfix reads it through mail_aliases, so
// with inboxsave the mailbox and its forward targets get the mail, without
// it only the targets, and a change holds at once.
func checkCompat(t *testing.T, api *apiClient, imapAddr, smtpAddr string) {
	const pw = "compat-password-1"
	api.RPC("domain.add", map[string]any{"domain": "compat.example"})
	api.RPC("mail.add", map[string]any{"mail": "target@compat.example", "password": pw})
	api.RPC("mail.add", map[string]any{"mail": "keep@compat.example", "password": pw,
		"forwards": []string{"target@compat.example"}, "inboxsave": true})
	api.RPC("mail.add", map[string]any{"mail": "only@compat.example", "password": pw,
		"forwards": []string{"target@compat.example"}, "inboxsave": false})

	t.Run("a forwarding mailbox with inboxsave keeps the mail and forwards it", func(t *testing.T) {
		if err := sendMail(smtpAddr, "keep@compat.example", "Kept and forwarded"); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, "keep@compat.example", pw, "Kept and forwarded")
		waitForSubject(t, imapAddr, "target@compat.example", pw, "Kept and forwarded")
	})
	t.Run("a forwarding mailbox without inboxsave only forwards", func(t *testing.T) {
		if err := sendMail(smtpAddr, "only@compat.example", "Only forwarded"); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, "target@compat.example", pw, "Only forwarded")
		// One queue entry, one expansion: the target's copy is in, so a
		// copy for the mailbox itself would have been delivered with it.
		subjects, _, err := inbox(imapAddr, "only@compat.example", pw)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(subjects, "Only forwarded") {
			t.Fatalf("only@compat.example kept the mail: INBOX holds %q", subjects)
		}
	})
	t.Run("switching inboxsave on and forwards off holds at once", func(t *testing.T) {
		api.RPC("mail.set", map[string]any{"mail": "only@compat.example", "inboxsave": true})
		if err := sendMail(smtpAddr, "only@compat.example", "Now kept too"); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, "only@compat.example", pw, "Now kept too")
		waitForSubject(t, imapAddr, "target@compat.example", pw, "Now kept too")

		api.RPC("mail.set", map[string]any{"mail": "keep@compat.example", "forwards": []string{}})
		if err := sendMail(smtpAddr, "keep@compat.example", "No longer forwarded"); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, "keep@compat.example", pw, "No longer forwarded")
		// A marker sent after it to the target arrives after any copy would.
		if err := sendMail(smtpAddr, "target@compat.example", "Marker"); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, "target@compat.example", pw, "Marker")
		subjects, _, err := inbox(imapAddr, "target@compat.example", pw)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(subjects, "No longer forwarded") {
			t.Fatalf("the target still got keep@'s mail: INBOX holds %q", subjects)
		}
	})
	t.Run("mail.set aliases reach the mailbox", func(t *testing.T) {
		api.RPC("mail.set", map[string]any{"mail": "keep@compat.example", "aliases": []string{"hello@compat.example"}})
		if err := sendMail(smtpAddr, "hello@compat.example", "Through mail.set's alias"); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, "keep@compat.example", pw, "Through mail.set's alias")
		api.RPC("mail.set", map[string]any{"mail": "keep@compat.example", "aliases": []string{}})
		wantRejected(t, smtpAddr, "hello@compat.example")
	})
}
