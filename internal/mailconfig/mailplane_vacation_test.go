package mailconfig_test

import (
	"io"
	"mime"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/notify/smtptest"
)

// checkVacation checks that Pigeonhole answers mail with the vacation
// reply the APIs set, read from the store: once per sender, inside the
// date window only, and no more once it is off. Replies reach the sink
// that mailconfig's Submission points Dovecot to.
func checkVacation(t *testing.T, api *apiClient, imapAddr, smtpAddr string, sink *smtptest.Server) {
	const (
		ana  = "ana@vacation.example"
		pass = "anas-password-1"
		desk = "desk@vacation.example" // always away: its replies mark that a delivery is done
	)
	created := api.Call("POST", "/domains", url.Values{"domain": {"vacation.example"}, "username": {ana}, "password": {pass}})
	anaID := strconv.Itoa(int(created["user"].(map[string]any)["id"].(float64)))
	api.Call("POST", "/user/"+strconv.Itoa(int(created["domain"].(map[string]any)["id"].(float64))),
		url.Values{"email": {desk}, "password": {"desks-password-1"}})
	api.RPC("mail.vacation.set", map[string]any{"mail": desk, "subject": "The desk is closed", "body": "Closed.\n"})

	day := func(days int) string { return time.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly) }
	const subject = `Ana is away: "Ferien" \ ünïcødé`
	body := "Hello,\n\nI am away.\n.\n..and back soon.\nAna\n"
	api.RPC("mail.vacation.set", map[string]any{"mail": ana, "subject": subject, "body": body,
		"start_date": day(-1), "end_date": day(1), "days": 7, "additional_mail_addresses": []string{"info@vacation.example"}})

	seen := 0 // replies the sink holds that the test has looked at
	// replyTo waits for the next reply, which must go to rcpt.
	replyTo := func(t *testing.T, rcpt string) *mail.Message {
		t.Helper()
		m, ok := sink.Wait(seen+1, 20*time.Second)
		if !ok {
			t.Fatalf("no vacation reply to %s within 20 s", rcpt)
		}
		seen++
		if len(m.To) != 1 || m.To[0] != rcpt || m.From != "" {
			t.Fatalf("reply from <%s> to %v, want from <> to %s", m.From, m.To, rcpt)
		}
		msg, err := mail.ReadMessage(strings.NewReader(m.Data))
		if err != nil {
			t.Fatalf("reply: %v\n%s", err, m.Data)
		}
		return msg
	}
	// deliver sends mail from sender to rcpt and waits until it is in the
	// INBOX, where Pigeonhole puts it after running the script.
	n := 0
	deliver := func(t *testing.T, sender, rcpt, user, password string) {
		t.Helper()
		n++
		subj := "Vacation test " + strconv.Itoa(n)
		if err := sendMailFrom(smtpAddr, sender, rcpt, subj); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, user, password, subj)
	}
	// noReply checks that mail from sender got no reply: the desk's reply
	// to a later mail comes first.
	noReply := func(t *testing.T, sender string) {
		t.Helper()
		deliver(t, sender, ana, ana, pass)
		marker := "marker" + strconv.Itoa(n) + "@sender.example"
		deliver(t, marker, desk, desk, "desks-password-1")
		replyTo(t, marker)
	}

	t.Run("mail in the date window gets the reply", func(t *testing.T) {
		deliver(t, "carol@sender.example", ana, ana, pass)
		msg := replyTo(t, "carol@sender.example")
		dec := new(mime.WordDecoder)
		got, err := dec.DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || got != subject {
			t.Errorf("Subject %q (%v), want %q", got, err, subject)
		}
		if from, _ := mail.ParseAddress(msg.Header.Get("From")); from == nil || from.Address != ana {
			t.Errorf("From %q, want %s", msg.Header.Get("From"), ana)
		}
		if !strings.HasPrefix(msg.Header.Get("Auto-Submitted"), "auto-replied") || msg.Header.Get("In-Reply-To") == "" {
			t.Errorf("not marked as an automatic reply: %v", msg.Header)
		}
		// Pigeonhole ends the text with a line end of its own.
		text, _ := io.ReadAll(msg.Body)
		if strings.TrimRight(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n") != strings.TrimRight(body, "\n") {
			t.Errorf("body %q, want %q", text, body)
		}
	})
	t.Run("a second mail from the same sender gets none", func(t *testing.T) {
		noReply(t, "carol@sender.example")
	})
	t.Run("mail to a further address of the mailbox gets the reply", func(t *testing.T) {
		api.Call("POST", "/alias/"+strconv.Itoa(int(created["domain"].(map[string]any)["id"].(float64))),
			url.Values{"address": {"info@vacation.example"}, "goto": {ana}})
		deliver(t, "dave@sender.example", "info@vacation.example", ana, pass)
		replyTo(t, "dave@sender.example")
	})
	t.Run("a window in the past sends none", func(t *testing.T) {
		api.Call("POST", "/vacation/"+anaID, url.Values{"start_date": {day(-10)}, "end_date": {day(-5)}})
		noReply(t, "erin@sender.example")
	})
	t.Run("a window in the future sends none", func(t *testing.T) {
		api.Call("POST", "/vacation/"+anaID, url.Values{"start_date": {day(5)}, "end_date": {day(10)}})
		noReply(t, "frank@sender.example")
	})
	t.Run("a window from today on sends it again, to a new sender", func(t *testing.T) {
		api.Call("POST", "/vacation/"+anaID, url.Values{"start_date": {day(0)}, "end_date": {""}})
		deliver(t, "grace@sender.example", ana, ana, pass)
		replyTo(t, "grace@sender.example")
	})
	t.Run("turned off, none", func(t *testing.T) {
		api.Call("POST", "/vacation/"+anaID, url.Values{"active": {"false"}})
		noReply(t, "heidi@sender.example")
	})
	if got := len(sink.Messages()); got != seen {
		t.Errorf("the sink holds %d replies, the test expected %d", got, seen)
	}
}
