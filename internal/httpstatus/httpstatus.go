// Package httpstatus maps the domain's error codes to HTTP statuses: the
// one table every HTTP surface (the REST families, the web panel) answers
// with, whatever its body format.
package httpstatus

import (
	"net/http"

	sb "github.com/switchboard/switchboard"
)

// Of is the HTTP status of err's domain error code; an error without one is
// internal (500).
func Of(err error) int {
	switch sb.ErrorCode(err) {
	case sb.EMALFORMED:
		return http.StatusBadRequest
	case sb.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case sb.EFORBIDDEN:
		return http.StatusForbidden
	case sb.ENOTFOUND:
		return http.StatusNotFound
	case sb.ECONFLICT:
		return http.StatusConflict
	case sb.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case sb.EINVALID:
		return http.StatusUnprocessableEntity
	case sb.ERATELIMIT:
		return http.StatusTooManyRequests
	case sb.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
