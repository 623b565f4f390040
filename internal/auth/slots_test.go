package auth

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

func TestHashesWaitForAFreeSlot(t *testing.T) {
	h := NewHasher(TestParams)
	if got, want := cap(h.slots), runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("%d slots, want GOMAXPROCS = %d", got, want)
	}
	stored, err := h.Hash(t.Context(), "password")
	if err != nil {
		t.Fatal(err)
	}
	takeAll(h)
	done := make(chan bool, 2)
	go func() { _, err := h.Hash(t.Context(), "other"); done <- err == nil }()
	go func() { ok, err := h.Verify(t.Context(), stored, "password"); done <- ok && err == nil }()
	select {
	case <-done:
		t.Fatal("an argon2id computation ran while every slot was taken")
	case <-time.After(100 * time.Millisecond):
	}
	<-h.slots // one slot frees: both run, one after the other
	for range 2 {
		select {
		case ok := <-done:
			if !ok {
				t.Fatal("the computation failed")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a computation still waits with a slot free")
		}
	}
}

// takeAll fills every slot of h, as computations running would.
func takeAll(h *Hasher) {
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
}

// Each way in to argon2id leaves the queue when its context ends (a client
// gone, a request past its timeout) and computes nothing, even with a slot
// free once the context has ended; a wait that left holds no slot.
func TestAnEndedContextLeavesTheQueue(t *testing.T) {
	h := NewHasher(TestParams)
	stored, err := h.Hash(t.Context(), "password")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"Hash", func(ctx context.Context) error { _, err := h.Hash(ctx, "other"); return err }},
		{"Verify", func(ctx context.Context) error { _, err := h.Verify(ctx, stored, "password"); return err }},
		{"VerifyDummy", func(ctx context.Context) error { return h.VerifyDummy(ctx, "password") }},
	} {
		t.Run(tt.name+" waiting, cancelled", func(t *testing.T) {
			takeAll(h)
			defer func() {
				for range cap(h.slots) {
					<-h.slots
				}
			}()
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- tt.run(ctx) }()
			select {
			case err := <-done:
				t.Fatalf("returned %v while every slot was taken and its context alive", err)
			case <-time.After(50 * time.Millisecond):
			}
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("error %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("still waiting for a slot after its context ended")
			}
			if n := len(h.slots); n != cap(h.slots) {
				t.Fatalf("%d slots taken after the wait left, want the %d taken before it", n, cap(h.slots))
			}
		})
		t.Run(tt.name+" past its deadline, slots free", func(t *testing.T) {
			ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
			defer cancel()
			for range 20 { // select would pick a free slot half the time
				if err := tt.run(ctx); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("error %v, want context.DeadlineExceeded", err)
				}
			}
			if n := len(h.slots); n != 0 {
				t.Fatalf("%d slots taken, want none", n)
			}
		})
	}
	if ok, err := h.Verify(t.Context(), stored, "password"); !ok || err != nil {
		t.Fatalf("after the cancellations Verify = %v, %v; want true", ok, err)
	}
}
