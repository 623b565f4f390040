// Package dkimmilter is a milter (Sendmail's mail filter protocol, spoken by
// Postfix) that signs outgoing mail with the sending domain's active DKIM
// key, read from Switchboard's store when the message is signed.
package dkimmilter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-milter"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/dkim"
)

// Keys finds the key a domain signs with.
type Keys interface {
	ActiveDKIMKey(ctx context.Context, domain string) (selector string, privatePEM []byte, err error)
}

// Config configures the milter.
type Config struct {
	Keys Keys
	// Trusted are the client networks whose mail is outgoing; mail from
	// SMTP-authenticated clients is outgoing wherever it comes from.
	Trusted []netip.Prefix
	// MaxMessage is the largest message signed (bigger ones pass unsigned).
	MaxMessage int
	Logger     *slog.Logger
}

// Serve answers Postfix on ln until ctx ends.
func Serve(ctx context.Context, ln net.Listener, cfg Config) error {
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = 64 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = cfg.Logger.With("component", "dkimmilter")
	srv := &milter.Server{
		NewMilter: func() milter.Milter { return &session{cfg: &cfg, ctx: ctx} },
		Actions:   milter.OptAddHeader,
		Protocol:  milter.OptNoHelo | milter.OptNoRcptTo,
	}
	// Closing ln ends srv.Serve. go-milter's own Server.Close writes fields
	// that Serve reads without a lock (the race detector says so), so it
	// is not used.
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	err := srv.Serve(ln)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// session is one SMTP connection's filter state.
type session struct {
	milter.NoOpMilter
	cfg      *Config
	ctx      context.Context
	trusted  bool
	header   bytes.Buffer
	body     bytes.Buffer
	from     string
	tooLarge bool
}

func (s *session) Connect(host, family string, port uint16, addr net.IP, m *milter.Modifier) (milter.Response, error) {
	if ip, ok := netip.AddrFromSlice(addr); ok {
		ip = ip.Unmap()
		for _, p := range s.cfg.Trusted {
			if p.Contains(ip) {
				s.trusted = true
			}
		}
	}
	if family == "unix" || family == "local" {
		s.trusted = true // the local sendmail command
	}
	return milter.RespContinue, nil
}

func (s *session) MailFrom(from string, m *milter.Modifier) (milter.Response, error) {
	s.header.Reset()
	s.body.Reset()
	s.from, s.tooLarge = "", false
	if !s.trusted && m.Macros["{auth_authen}"] == "" {
		// Incoming mail: nothing of ours to sign.
		return milter.RespAccept, nil
	}
	return milter.RespContinue, nil
}

func (s *session) Header(name, value string, m *milter.Modifier) (milter.Response, error) {
	if strings.EqualFold(name, "From") && s.from == "" {
		s.from = value
	}
	s.add(&s.header, name+": "+strings.ReplaceAll(strings.ReplaceAll(value, "\r\n", "\n"), "\n", "\r\n")+"\r\n")
	return milter.RespContinue, nil
}

func (s *session) BodyChunk(chunk []byte, m *milter.Modifier) (milter.Response, error) {
	s.add(&s.body, string(chunk))
	return milter.RespContinue, nil
}

func (s *session) add(b *bytes.Buffer, data string) {
	if s.tooLarge || s.header.Len()+s.body.Len()+len(data) > s.cfg.MaxMessage {
		s.tooLarge = true
		return
	}
	b.WriteString(data)
}

func (s *session) Body(m *milter.Modifier) (milter.Response, error) {
	if err := s.sign(m); err != nil {
		// Never hold mail back for a signature: log and pass it on.
		s.cfg.Logger.Warn("message not DKIM-signed", "err", err)
	}
	return milter.RespAccept, nil
}

func (s *session) sign(m *milter.Modifier) error {
	if s.tooLarge {
		return fmt.Errorf("message larger than %d bytes", s.cfg.MaxMessage)
	}
	addr, err := mail.ParseAddress(s.from)
	if err != nil {
		return fmt.Errorf("no usable From header")
	}
	domain := strings.ToLower(addr.Address[strings.LastIndexByte(addr.Address, '@')+1:])
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	selector, key, err := s.cfg.Keys.ActiveDKIMKey(ctx, domain)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil // not our domain, or no key yet
	}
	if err != nil {
		return err
	}
	name, value, err := Signature(s.header.Bytes(), s.body.Bytes(), domain, selector, key)
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("message DKIM-signed", "domain", domain, "selector", selector)
	return m.InsertHeader(0, name, value)
}

// Signature signs a message given as its header block and body (CRLF line
// ends) and returns the DKIM-Signature header to add.
func Signature(header, body []byte, domain, selector string, privatePEM []byte) (string, string, error) {
	msg := make([]byte, 0, len(header)+2+len(body))
	msg = append(append(append(msg, header...), "\r\n"...), body...)
	var out bytes.Buffer
	if err := dkim.Sign(&out, bytes.NewReader(msg), domain, selector, privatePEM); err != nil {
		return "", "", err
	}
	// dkim.Sign writes the signature header first, then the message.
	signed := out.Bytes()[:out.Len()-len(msg)]
	line := strings.TrimRight(string(signed), "\r\n")
	name, value, ok := strings.Cut(line, ":")
	if !ok || !strings.EqualFold(name, "DKIM-Signature") {
		return "", "", errors.New("unexpected signer output")
	}
	// Milter header values use bare LF between folded lines.
	value = strings.ReplaceAll(strings.TrimLeft(value, " "), "\r\n", "\n")
	return "DKIM-Signature", value, nil
}
