package notify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/notify/smtptest"
)

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}, pool
}

func TestSMTP(t *testing.T) {
	cert, pool := selfSigned(t)
	tests := []struct {
		name    string
		opts    smtptest.Options
		cfg     SMTPConfig
		wantTLS bool
		wantErr string
	}{
		{"plain delivery to a server without STARTTLS", smtptest.Options{}, SMTPConfig{From: "noreply@example.com"}, false, ""},
		{"STARTTLS and AUTH PLAIN when the server offers them",
			smtptest.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, User: "mailer", Password: "s3cret"},
			SMTPConfig{From: "noreply@example.com", User: "mailer", Password: "s3cret", TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}, true, ""},
		{"wrong SMTP credentials fail",
			smtptest.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, User: "mailer", Password: "s3cret"},
			SMTPConfig{From: "noreply@example.com", User: "mailer", Password: "nope", TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}, false, "auth"},
		{"an untrusted server certificate fails",
			smtptest.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}},
			SMTPConfig{From: "noreply@example.com"}, false, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, tt.opts)
			tt.cfg.Addr = srv.Addr
			err := NewSMTP(tt.cfg).Send(context.Background(), Mail{To: "alice@example.org", Subject: "Your code", Body: "Code: 123456\n"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m, ok := srv.Wait(1, 5*time.Second)
			if !ok || m.TLS != tt.wantTLS || m.To[0] != "alice@example.org" || m.From != "noreply@example.com" ||
				!strings.Contains(m.Data, "Subject: Your code\r\n") || !strings.Contains(m.Data, "\r\n\r\nCode: 123456\r\n") {
				t.Fatalf("received %+v", m)
			}
		})
	}
	t.Run("header injection is refused", func(t *testing.T) {
		if err := NewSMTP(SMTPConfig{Addr: "127.0.0.1:1"}).Send(context.Background(), Mail{To: "a@b.c\r\nBcc: x@y.z"}); err == nil {
			t.Fatal("accepted")
		}
	})
}

func TestSMSGateway(t *testing.T) {
	for _, form := range []bool{false, true} {
		var got map[string]string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer gw-token" {
				http.Error(w, "no", 401)
				return
			}
			got = map[string]string{}
			if form {
				r.ParseForm()
				got["to"], got["text"] = r.Form.Get("to"), r.Form.Get("text")
			} else {
				json.NewDecoder(r.Body).Decode(&got)
			}
		}))
		g := &SMSGateway{URL: srv.URL, Token: "gw-token", Form: form}
		if err := g.SendSMS(context.Background(), "+33612345678", "Code 654321"); err != nil {
			t.Fatal(err)
		}
		if got["to"] != "+33612345678" || got["text"] != "Code 654321" {
			t.Fatalf("gateway got %v", got)
		}
		g.Token = "wrong"
		if err := g.SendSMS(context.Background(), "+33612345678", "x"); err == nil {
			t.Fatal("a refused send reported success")
		}
		srv.Close()
	}
}

// apnsStandIn checks requests as APNs does: HTTP/2, a valid ES256 provider
// token from the team and key id, a topic, a JSON body.
func apnsStandIn(t *testing.T, pub *ecdsa.PublicKey, got chan<- map[string]any) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(code int, reason string) {
			w.WriteHeader(code)
			json.NewEncoder(w).Encode(map[string]string{"reason": reason})
		}
		if r.ProtoMajor != 2 {
			fail(400, "HTTP2Required")
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("authorization"), "bearer ")
		claims, err := VerifyES256(tok, pub)
		if err != nil || claims["iss"] != "TEAM123456" {
			fail(403, "InvalidProviderToken")
			return
		}
		if r.Header.Get("apns-topic") == "" || !strings.HasPrefix(r.URL.Path, "/3/device/") {
			fail(400, "MissingTopic")
			return
		}
		if strings.TrimPrefix(r.URL.Path, "/3/device/") == "bad-device" {
			fail(400, "BadDeviceToken")
			return
		}
		var body map[string]any
		if json.NewDecoder(r.Body).Decode(&body) != nil || body["aps"] == nil {
			fail(400, "PayloadEmpty")
			return
		}
		body["_device"] = strings.TrimPrefix(r.URL.Path, "/3/device/")
		body["_topic"] = r.Header.Get("apns-topic")
		got <- body
		w.Header().Set("apns-id", "x")
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestAPNs(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	got := make(chan map[string]any, 1)
	srv := apnsStandIn(t, &key.PublicKey, got)
	a := &APNs{BaseURL: srv.URL, KeyID: "KEY1234567", TeamID: "TEAM123456", Key: key, Client: srv.Client()}
	p := Push{Provider: "apns", Param: "TEAM123456.org.linphone.phone.voip", PRID: "device-token-1", Data: map[string]string{"token": "abc"}}
	if err := a.Push(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	body := <-got
	if body["token"] != "abc" || body["_device"] != "device-token-1" || body["_topic"] != "TEAM123456.org.linphone.phone.voip" {
		t.Fatalf("APNs got %v", body)
	}
	p.PRID = "bad-device"
	if err := a.Push(context.Background(), p); err == nil || !strings.Contains(err.Error(), "BadDeviceToken") {
		t.Fatalf("err = %v", err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bad := &APNs{BaseURL: srv.URL, KeyID: "K", TeamID: "TEAM123456", Key: other, Client: srv.Client()}
	if err := bad.Push(context.Background(), Push{PRID: "d", Param: "t"}); err == nil || !strings.Contains(err.Error(), "InvalidProviderToken") {
		t.Fatalf("a token signed by another key: %v", err)
	}
}

func TestFCM(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	var tokenURL string
	got := make(chan map[string]any, 1)
	mux := http.NewServeMux()
	// The OAuth2 token endpoint: a JWT-bearer assertion signed RS256 by the
	// service account's key.
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			http.Error(w, `{"error":"unsupported_grant_type"}`, 400)
			return
		}
		parts := strings.Split(r.Form.Get("assertion"), ".")
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		claims := map[string]any{}
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(raw, &claims)
		if rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, sum[:], sig) != nil || claims["iss"] != "sa@proj.iam.example" ||
			claims["scope"] != "https://www.googleapis.com/auth/firebase.messaging" || claims["aud"] != tokenURL {
			http.Error(w, `{"error":"invalid_grant"}`, 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"fcm-access","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("POST /v1/projects/{project}/messages:send", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer fcm-access" {
			http.Error(w, `{"error":{"status":"UNAUTHENTICATED"}}`, 401)
			return
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		body["_project"] = r.PathValue("project")
		got <- body
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	tokenURL = srv.URL + "/token"
	sa, _ := json.Marshal(map[string]string{"client_email": "sa@proj.iam.example", "private_key_id": "k1", "token_uri": tokenURL,
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))})
	f, err := NewFCM(srv.URL, sa, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Push(context.Background(), Push{Provider: "fcm", Param: "my-project", PRID: "fcm-device", Data: map[string]string{"token": "xyz"}}); err != nil {
		t.Fatal(err)
	}
	body := <-got
	msg := body["message"].(map[string]any)
	if body["_project"] != "my-project" || msg["token"] != "fcm-device" || msg["data"].(map[string]any)["token"] != "xyz" {
		t.Fatalf("FCM got %v", body)
	}
	if _, err := NewFCM(srv.URL, []byte(`{}`), nil); err == nil {
		t.Fatal("an empty service account was accepted")
	}
}

func TestProvidersRouteByName(t *testing.T) {
	if err := (Providers{}).Push(context.Background(), Push{Provider: "webpush"}); err != ErrUnknownProvider {
		t.Fatalf("err = %v", err)
	}
}

func TestLogPushWritesTheNotificationToTheLog(t *testing.T) {
	var buf strings.Builder
	p := LogPush{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	if err := p.Push(context.Background(), Push{Provider: "fcm", Param: "project-1", PRID: "device-1", Data: map[string]string{"token": "tok-123"}}); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Msg, Component, Provider, Param, PRID string
		Data                                  map[string]string
	}
	if err := json.Unmarshal([]byte(buf.String()), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if line.Component != "notify" || line.Provider != "fcm" || line.Param != "project-1" || line.PRID != "device-1" || line.Data["token"] != "tok-123" {
		t.Fatalf("log line %s", buf.String())
	}
}
