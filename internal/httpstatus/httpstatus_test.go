package httpstatus_test

import (
	"errors"
	"fmt"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpstatus"
)

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{sb.Errorf(sb.EMALFORMED, "x"), 400},
		{sb.Errorf(sb.EUNAUTHORIZED, "x"), 401},
		{sb.Errorf(sb.EFORBIDDEN, "x"), 403},
		{sb.Errorf(sb.ENOTFOUND, "x"), 404},
		{sb.Errorf(sb.ECONFLICT, "x"), 409},
		{sb.Errorf(sb.ETOOLARGE, "x"), 413},
		{sb.Errorf(sb.EINVALID, "x"), 422},
		{sb.RateLimited(0, "x"), 429},
		{sb.Errorf(sb.EUNAVAILABLE, "x"), 503},
		{sb.Errorf(sb.EINTERNAL, "x"), 500},
		{errors.New("plain"), 500},
		{fmt.Errorf("wrapped: %w", sb.Errorf(sb.ENOTFOUND, "x")), 404},
	} {
		if got := httpstatus.Of(tc.err); got != tc.want {
			t.Errorf("Of(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
