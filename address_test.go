package switchboard

import (
	"slices"
	"testing"
)

func TestSplitAddresses(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"values and comma lists are joined in order", []string{"a@x.test, b@y.test", "c@z.test"}, []string{"a@x.test", "b@y.test", "c@z.test"}},
		{"blank items are dropped", []string{" , ,", "a@x.test,,", ""}, []string{"a@x.test"}},
		{"duplicates are kept for the caller to judge", []string{"a@x.test", "a@x.test"}, []string{"a@x.test", "a@x.test"}},
		{"no values give no addresses", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SplitAddresses(tt.in...); !slices.Equal(got, tt.want) {
				t.Fatalf("SplitAddresses(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSIPAddress(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"a sip: URI gives its address", "sip:alice@sip.example.org", "alice@sip.example.org", true},
		{"sips: and surrounding spaces go", "  sips:alice@sip.example.org ", "alice@sip.example.org", true},
		{"a bare address is accepted", "alice@sip.example.org", "alice@sip.example.org", true},
		{"no user is refused", "sip:@sip.example.org", "", false},
		{"no host is refused", "sip:alice@", "", false},
		{"two @ are refused", "sip:a@b@sip.example.org", "", false},
		{"spaces inside are refused", "alice@sip.example.org with junk", "", false},
		{"control characters are refused", "alice@sip.example.org\x00", "", false},
		{"empty is refused", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := SIPAddress(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("SIPAddress(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
