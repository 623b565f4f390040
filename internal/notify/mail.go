// Package notify delivers what Switchboard sends to people and devices:
// mail over SMTP submission, SMS through an HTTP gateway, and push
// notifications to APNs and FCM. Each channel is an interface so that paid
// outside services can be replaced by fakes in tests; the real clients are
// tested against local servers that speak the real protocols.
package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one plain-text message.
type Mail struct {
	To      string
	Subject string
	Body    string
}

// Mailer sends mail.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// SMTPConfig configures SMTP submission.
type SMTPConfig struct {
	Addr     string // host:port
	User     string // empty: no AUTH
	Password string
	From     string
	// TLSConfig verifies the server when it offers STARTTLS (nil: system
	// roots and the host of Addr).
	TLSConfig *tls.Config
	Timeout   time.Duration
}

// SMTP sends mail by SMTP submission with github.com/emersion/go-smtp,
// upgrading with STARTTLS whenever the server offers it.
type SMTP struct{ cfg SMTPConfig }

// NewSMTP returns an SMTP mailer.
func NewSMTP(cfg SMTPConfig) *SMTP {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &SMTP{cfg: cfg}
}

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Mail) error {
	if strings.ContainsAny(m.To, "\r\n") || strings.ContainsAny(m.Subject, "\r\n") {
		return errors.New("header injection in mail")
	}
	c, tlsOn, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if s.cfg.User != "" {
		if !tlsOn && !isLoopback(s.cfg.Addr) {
			return errors.New("smtp: refusing to send credentials without TLS")
		}
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.User, s.cfg.Password)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	msg := s.format(m)
	if err := c.SendMail(s.cfg.From, []string{m.To}, strings.NewReader(msg)); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	return c.Quit()
}

// connect opens a session, upgraded with STARTTLS when the server offers it
// (go-smtp starts TLS only as it opens a session, so a first session asks).
func (s *SMTP) connect(ctx context.Context) (*smtp.Client, bool, error) {
	dial := func() (net.Conn, error) {
		d := net.Dialer{Timeout: s.cfg.Timeout}
		conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("smtp dial: %w", err)
		}
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		} else {
			conn.SetDeadline(time.Now().Add(s.cfg.Timeout))
		}
		return conn, nil
	}
	conn, err := dial()
	if err != nil {
		return nil, false, err
	}
	c := smtp.NewClient(conn)
	if err := c.Hello("localhost"); err != nil {
		c.Close()
		return nil, false, fmt.Errorf("smtp hello: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return c, false, nil
	}
	c.Quit()
	cfg := s.cfg.TLSConfig
	if cfg == nil {
		host, _, _ := net.SplitHostPort(s.cfg.Addr)
		cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if conn, err = dial(); err != nil {
		return nil, false, err
	}
	tc, err := smtp.NewClientStartTLS(conn, cfg)
	if err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("smtp starttls: %w", err)
	}
	return tc, true, nil
}

func (s *SMTP) format(m Mail) string {
	var id [12]byte
	rand.Read(id[:])
	domain := s.cfg.From[strings.LastIndexByte(s.cfg.From, '@')+1:]
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n",
		s.cfg.From, m.To, mime.QEncoding.Encode("utf-8", m.Subject), time.Now().UTC().Format(time.RFC1123Z), hex.EncodeToString(id[:]), domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n"))
	return b.String()
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
