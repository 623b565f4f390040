package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"
)

// Push is one notification to a device, addressed as linphone addresses
// them: provider ("apns", "apns.dev", "fcm"), param (APNs: the topic, e.g.
// TEAMID.org.linphone.phone.voip; FCM: the project id) and prid (the device
// token).
type Push struct {
	Provider string
	Param    string
	PRID     string
	Data     map[string]string
}

// Pusher sends push notifications.
type Pusher interface {
	Push(ctx context.Context, p Push) error
}

// ErrUnknownProvider is returned for a provider no pusher serves.
var ErrUnknownProvider = errors.New("unknown push provider")

// Providers routes each provider to its client.
type Providers map[string]Pusher

// Push sends through the provider's client.
func (ps Providers) Push(ctx context.Context, p Push) error {
	c, ok := ps[p.Provider]
	if !ok {
		return ErrUnknownProvider
	}
	return c.Push(ctx, p)
}

// APNs is an Apple Push Notification service client: HTTP/2, JSON payload,
// ES256 provider token.
type APNs struct {
	BaseURL string // https://api.push.apple.com or https://api.sandbox.push.apple.com
	KeyID   string
	TeamID  string
	Key     *ecdsa.PrivateKey // the .p8 key
	Client  *http.Client      // must speak HTTP/2
	Now     func() time.Time

	mu       sync.Mutex
	token    string
	tokenIat time.Time
}

// ParseP8 reads an APNs .p8 (PKCS#8 EC) key.
func ParseP8(pemBytes []byte) (*ecdsa.PrivateKey, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return nil, errors.New("no PEM block in the APNs key")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("the APNs key is not an EC key")
	}
	return ek, nil
}

// providerToken returns the ES256 JWT, reused for 50 minutes as Apple asks.
func (a *APNs) providerToken() (string, error) {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && now().Sub(a.tokenIat) < 50*time.Minute {
		return a.token, nil
	}
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": a.KeyID})
	claims, _ := json.Marshal(map[string]any{"iss": a.TeamID, "iat": now().Unix()})
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, a.Key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	a.token, a.tokenIat = signing+"."+enc.EncodeToString(sig), now()
	return a.token, nil
}

// Push sends one notification.
func (a *APNs) Push(ctx context.Context, p Push) error {
	tok, err := a.providerToken()
	if err != nil {
		return err
	}
	payload := map[string]any{"aps": map[string]any{"content-available": 1}}
	for k, v := range p.Data {
		payload[k] = v
	}
	body, _ := json.Marshal(payload)
	req, err := http.NewRequestWithContext(ctx, "POST", a.BaseURL+"/3/device/"+url.PathEscape(p.PRID), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("authorization", "bearer "+tok)
	req.Header.Set("apns-topic", p.Param)
	req.Header.Set("apns-push-type", "background")
	req.Header.Set("apns-priority", "5")
	req.Header.Set("content-type", "application/json")
	return doPush(a.Client, req, "APNs")
}

// FCM is a Firebase Cloud Messaging HTTP v1 client, authorised with a
// service account through the OAuth2 JWT-bearer grant.
type FCM struct {
	BaseURL string // https://fcm.googleapis.com
	Client  *http.Client
	tokens  oauth2.TokenSource
}

// NewFCM reads a service account JSON (client_email, private_key,
// private_key_id, token_uri).
func NewFCM(baseURL string, serviceAccount []byte, client *http.Client) (*FCM, error) {
	var sa struct {
		ClientEmail  string `json:"client_email"`
		PrivateKey   string `json:"private_key"`
		PrivateKeyID string `json:"private_key_id"`
		TokenURI     string `json:"token_uri"`
	}
	if err := json.Unmarshal(serviceAccount, &sa); err != nil || sa.ClientEmail == "" || sa.PrivateKey == "" || sa.TokenURI == "" {
		return nil, errors.New("FCM service account JSON needs client_email, private_key and token_uri")
	}
	cfg := &jwt.Config{Email: sa.ClientEmail, PrivateKey: []byte(sa.PrivateKey), PrivateKeyID: sa.PrivateKeyID,
		TokenURL: sa.TokenURI, Scopes: []string{"https://www.googleapis.com/auth/firebase.messaging"}}
	ctx := context.Background()
	if client != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	}
	return &FCM{BaseURL: baseURL, Client: client, tokens: cfg.TokenSource(ctx)}, nil
}

// Push sends one data message.
func (f *FCM) Push(ctx context.Context, p Push) error {
	tok, err := f.tokens.Token()
	if err != nil {
		return fmt.Errorf("FCM OAuth2 token: %w", err)
	}
	body, _ := json.Marshal(map[string]any{"message": map[string]any{"token": p.PRID, "data": p.Data,
		"android": map[string]any{"priority": "high"}}})
	req, err := http.NewRequestWithContext(ctx, "POST", f.BaseURL+"/v1/projects/"+url.PathEscape(p.Param)+"/messages:send", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	return doPush(f.Client, req, "FCM")
}

func doPush(c *http.Client, req *http.Request, name string) error {
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", name, res.Status, bytes.TrimSpace(data))
	}
	return nil
}

// VerifyES256 checks a compact ES256 JWT against a public key and returns
// its claims: what APNs does with a provider token (for test stand-ins).
func VerifyES256(token string, pub *ecdsa.PublicKey) (map[string]any, error) {
	parts := bytes.Split([]byte(token), []byte("."))
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	enc := base64.RawURLEncoding
	sig, err := enc.DecodeString(string(parts[2]))
	if err != nil || len(sig) != 64 {
		return nil, errors.New("bad JWT signature encoding")
	}
	sum := sha256.Sum256(append(append(parts[0], '.'), parts[1]...))
	if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, errors.New("bad JWT signature")
	}
	claims := map[string]any{}
	raw, err := enc.DecodeString(string(parts[1]))
	if err != nil {
		return nil, err
	}
	return claims, json.Unmarshal(raw, &claims)
}

// LogPush writes notifications to the log instead of sending them: for
// development only, like LogSMS, as the log then holds what the push
// carries (an account-creation token, for one).
type LogPush struct{ Logger *slog.Logger }

var _ Pusher = LogPush{}

// Push logs the notification.
func (l LogPush) Push(ctx context.Context, p Push) error {
	l.Logger.WarnContext(ctx, "push not sent (development pusher)", "component", "notify",
		"provider", p.Provider, "param", p.Param, "prid", p.PRID, "data", p.Data)
	return nil
}
