package dashboard

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gatescope/gatescope/server/httpjson"
	"github.com/gatescope/gatescope/store"
)

// ErrBadRequest marks errors caused by what the client sent; the API answers
// them with 400 and the error's message.
var ErrBadRequest = errors.New("bad request")

// ErrStarting is what Options.Health returns (wrapped) while gatescope is
// still building functions or opening listeners.
var ErrStarting = errors.New("starting")

// BadRequestError is a client error with a message meant for the client.
type BadRequestError struct {
	Msg string
}

func (e *BadRequestError) Error() string { return e.Msg }

// Is makes errors.Is(err, ErrBadRequest) true for every BadRequestError.
func (e *BadRequestError) Is(target error) bool { return target == ErrBadRequest }

func badRequest(msg string) error { return &BadRequestError{Msg: msg} }

// statusOf maps an error to its HTTP status, in one place. Cancellation comes
// first: a client that went away is neither a 404 nor a server fault.
func statusOf(err error) int {
	switch {
	case errors.Is(err, context.Canceled):
		return 499 // nginx's "client closed request"; nobody reads it
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	default:
		return http.StatusInternalServerError
	}
}

// apiError answers err as {"error": msg}, logging server faults once here.
func (s *server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	code := statusOf(err)
	if code >= 500 && code != 499 {
		s.log.Error("api request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", code), slog.Any("err", err))
	}
	httpjson.Write(w, code, map[string]string{"error": err.Error()})
}
