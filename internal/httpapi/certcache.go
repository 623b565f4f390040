package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"sync"
	"time"

	sb "github.com/switchboard/switchboard"
)

// certCache holds the certificates for SNI, reloaded from the store now and
// then so a certificate issued on another instance is served here too.
type certCache struct {
	svc     sb.CertificateService
	refresh time.Duration

	mu     sync.Mutex
	loaded time.Time
	certs  map[string]*tls.Certificate
}

func (c *certCache) get(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.certs == nil || time.Since(c.loaded) > c.refresh {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		certs, err := c.svc.TLSCertificates(ctx)
		cancel()
		if err == nil {
			c.certs, c.loaded = certs, time.Now()
		} else if c.certs == nil {
			return nil, err
		}
	}
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if cert, ok := c.certs[name]; ok {
		return cert, nil
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if cert, ok := c.certs["*"+name[i:]]; ok {
			return cert, nil
		}
	}
	return nil, errors.New("no certificate for " + name)
}
