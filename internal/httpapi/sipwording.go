package httpapi

import (
	"errors"
	"net/http"

	sb "github.com/switchboard/switchboard"
)

// sipAnswer words a domain error as flexisip-account-manager (a Laravel
// application) does: a missing or wrong credential is "Unauthenticated.", a
// refusal of rights "This action is unauthorized.", and a name already
// taken a validation error (422). The service speaks neutral words; this is
// the SIP API's one table of its own.
func sipAnswer(err error) (status int, message string) {
	status, message = statusOf(err), sb.ErrorMessage(err)
	switch sb.ErrorCode(err) {
	case sb.EUNAUTHORIZED:
		message = "Unauthenticated."
	case sb.EFORBIDDEN:
		if errors.Is(err, sb.ErrNotPermitted) {
			message = "This action is unauthorized."
		}
	case sb.ECONFLICT:
		if f := sb.ErrorField(err); f != "" && errors.Is(err, sb.ErrTaken) {
			status, message = http.StatusUnprocessableEntity, "The "+f+" has already been taken."
		}
	}
	return status, message
}
