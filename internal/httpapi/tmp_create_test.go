package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

func BenchmarkTmpCreateParallel(b *testing.B) {
	backend := storetest.Backends()[0]
	e := newBenchEnv(b, backend, auth.NewHasher(auth.DefaultParams))
	d := e.domain(b, "new.example")
	url := fmt.Sprintf("%s/user/%d", e.url, d.ID)
	var i atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := i.Add(1)
			body := fmt.Sprintf(`{"email":"u%d@new.example","password":"bench-password"}`, n)
			req, _ := http.NewRequest("POST", url, strings.NewReader(body))
			req.Header.Set("Auth-token", e.token)
			req.Header.Set("Content-Type", "application/json")
			res, err := e.c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
}

func BenchmarkTmpHashParallel(b *testing.B) {
	h := auth.NewHasher(auth.DefaultParams)
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.Hash("bench-password")
		}
	})
}
