package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SMSSender sends text messages.
type SMSSender interface {
	SendSMS(ctx context.Context, to, text string) error
}

// SMSGateway posts messages to an HTTP SMS gateway: {"to","text"} as JSON
// (or as a form), with the token as a bearer Authorization header.
type SMSGateway struct {
	URL    string
	Token  string
	Form   bool
	Client *http.Client
}

// SendSMS posts one message.
func (g *SMSGateway) SendSMS(ctx context.Context, to, text string) error {
	var body io.Reader
	ctype := "application/json"
	if g.Form {
		body = strings.NewReader(url.Values{"to": {to}, "text": {text}}.Encode())
		ctype = "application/x-www-form-urlencoded"
	} else {
		b, _ := json.Marshal(map[string]string{"to": to, "text": text})
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", g.URL, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ctype)
	if g.Token != "" {
		req.Header.Set("Authorization", "Bearer "+g.Token)
	}
	c := g.Client
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("sms gateway answered %s", res.Status)
	}
	return nil
}

// LogSMS writes messages to the log instead of sending them: for
// development only, as the log then holds the codes.
type LogSMS struct{ Logger *slog.Logger }

// SendSMS logs the message.
func (l LogSMS) SendSMS(ctx context.Context, to, text string) error {
	l.Logger.WarnContext(ctx, "SMS not sent (development sender)", "component", "notify", "to", to, "text", text)
	return nil
}
