package auth

import (
	"runtime"
	"testing"
	"time"
)

func TestHashesWaitForAFreeSlot(t *testing.T) {
	h := NewHasher(TestParams)
	if got, want := cap(h.slots), runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("%d slots, want GOMAXPROCS = %d", got, want)
	}
	stored, err := h.Hash("password")
	if err != nil {
		t.Fatal(err)
	}
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	done := make(chan bool, 2)
	go func() { _, err := h.Hash("other"); done <- err == nil }()
	go func() { ok, err := h.Verify(stored, "password"); done <- ok && err == nil }()
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
