package mailconfig_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/switchboard/switchboard/internal/mailconfig"
)

// checkQuota checks that Dovecot enforces the quota the API sets and
// records the usage the API shows: a 100 kB mailbox fills (the delivery
// that crosses the limit is saved within Dovecot's 10% grace), the next
// delivery is refused with 552 5.2.2 at LMTP and (through quota-status)
// at Postfix's RCPT TO, GET /users shows the bytes Dovecot counted, and a
// raised quota takes effect at once.
func checkQuota(t *testing.T, api *apiClient, imapAddr, smtpAddr, mailRoot string, o mailconfig.Options) {
	const full, other, pass = "full@quota.example", "roomy@quota.example", "quota-password-1"
	res := api.Call("POST", "/domains", url.Values{"domain": {"quota.example"}, "username": {other}, "password": {pass}})
	domainID := int64(res["domain"].(map[string]any)["id"].(float64))
	created := api.Call("POST", fmt.Sprintf("/user/%d", domainID), url.Values{"email": {full}, "password": {pass}, "quota": {"100K"}})
	user := created["user"].(map[string]any)
	if user["quota"] != float64(100*1024) {
		t.Fatalf("created with quota 100K: %v", user)
	}
	id := int64(user["id"].(float64))

	// Three messages of 26 kB fit in 100 kB; the fourth crosses the limit
	// within the grace, and the mailbox is full.
	const size = 26 * 1024
	t.Run("deliveries through Postfix fill the mailbox", func(t *testing.T) {
		for i := range 4 {
			subject := fmt.Sprintf("Filler %d", i)
			if err := sendSized(smtpAddr, full, subject, size); err != nil {
				t.Fatal(err)
			}
			waitForSubject(t, imapAddr, full, pass, subject)
		}
	})
	t.Run("the API shows the bytes Dovecot recorded", func(t *testing.T) {
		onDisk := maildirBytes(t, filepath.Join(mailRoot, "quota.example", "full"))
		var used float64
		deadline := time.Now().Add(10 * time.Second)
		for {
			used = userRow(t, api, domainID, id)["quota_used"].(float64)
			if int64(used) == onDisk || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if int64(used) != onDisk || used <= 100*1024 || used > 110*1024 {
			t.Fatalf("quota_used %v, the Maildir holds %d bytes", used, onDisk)
		}
		var rpc struct {
			Result struct {
				Quota      int64 `json:"quota"`
				QuotaUsage struct {
					Storage, StorageLimit, Messages int64
				} `json:"quota_usage"`
			}
		}
		api.RPCRaw("mail.get", map[string]any{"mail": full, "include_quota_usage": true}, &rpc)
		if u := rpc.Result.QuotaUsage; u.Storage != onDisk || u.Messages != 4 || rpc.Result.Quota != 100*1024 {
			t.Fatalf("mail.get quota_usage %+v, quota %d; the Maildir holds %d bytes in 4 messages", u, rpc.Result.Quota, onDisk)
		}
	})
	t.Run("the next LMTP delivery is refused with 552 5.2.2", func(t *testing.T) {
		err := lmtpRcpt(o.LMTP, full, size)
		if se, ok := errors.AsType[*smtp.SMTPError](err); !ok || se.Code != 552 || se.EnhancedCode != (smtp.EnhancedCode{5, 2, 2}) {
			t.Fatalf("LMTP RCPT TO a full mailbox: %v, want 552 5.2.2", err)
		}
		if err := lmtpRcpt(o.LMTP, other, size); err != nil {
			t.Fatalf("LMTP RCPT TO a mailbox without quota: %v", err)
		}
	})
	t.Run("Postfix refuses it at RCPT TO through quota-status", func(t *testing.T) {
		err := smtpRcpt(smtpAddr, full, size)
		if se, ok := errors.AsType[*smtp.SMTPError](err); !ok || se.Code != 552 || !strings.Contains(se.Message, "over quota") {
			t.Fatalf("SMTP RCPT TO a full mailbox: %v, want 552 over quota", err)
		}
	})
	t.Run("a raised quota takes effect at once", func(t *testing.T) {
		row := api.Call("POST", "/user-quota", url.Values{"id": {strconv.FormatInt(id, 10)}, "domain_id": {strconv.FormatInt(domainID, 10)}, "quota": {"1M"}})
		if row["user"].(map[string]any)["quota"] != float64(1<<20) {
			t.Fatalf("POST /user-quota: %v", row)
		}
		if err := lmtpRcpt(o.LMTP, full, size); err != nil {
			t.Fatalf("LMTP RCPT TO after raising the quota: %v", err)
		}
		if err := sendSized(smtpAddr, full, "After the raise", size); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, full, pass, "After the raise")
	})
}

// userRow is the GET /users row of account id.
func userRow(t *testing.T, api *apiClient, domainID, id int64) map[string]any {
	t.Helper()
	for _, u := range api.Call("GET", fmt.Sprintf("/users/%d", domainID), nil)["users"].([]any) {
		if row := u.(map[string]any); int64(row["id"].(float64)) == id {
			return row
		}
	}
	t.Fatalf("user %d not in GET /users", id)
	return nil
}

// maildirBytes sums the sizes of the messages in a Maildir's INBOX, which
// is what Dovecot's quota counts (physical sizes).
func maildirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	for _, sub := range []string{"cur", "new"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			n += info.Size()
		}
	}
	return n
}

// sendSized sends a message of about size bytes through Postfix.
func sendSized(smtpAddr, to, subject string, size int) error {
	line := strings.Repeat("x", 76) + "\r\n"
	body := strings.Repeat(line, size/len(line))
	msg := "From: carol@sender.example\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\n" + body
	c, err := smtp.Dial(smtpAddr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail("carol@sender.example", nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// lmtpRcpt asks Dovecot's LMTP whether it takes a message of size bytes
// for rcpt, and says no more.
func lmtpRcpt(lmtpAddr, rcpt string, size int64) error {
	conn, err := net.DialTimeout("tcp", lmtpAddr, 5*time.Second)
	if err != nil {
		return err
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("switchboard.test"); err != nil {
		return err
	}
	return rcptWithSize(c, rcpt, size)
}

// smtpRcpt asks Postfix the same.
func smtpRcpt(smtpAddr, rcpt string, size int64) error {
	c, err := smtp.Dial(smtpAddr)
	if err != nil {
		return err
	}
	defer c.Close()
	return rcptWithSize(c, rcpt, size)
}

func rcptWithSize(c *smtp.Client, rcpt string, size int64) error {
	if err := c.Mail("carol@sender.example", &smtp.MailOptions{Size: size}); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return err
	}
	if err := c.Reset(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
