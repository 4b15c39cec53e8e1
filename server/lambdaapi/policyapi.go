package lambdaapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gatescope/gatescope/server/awsid"
	"github.com/gatescope/gatescope/server/lambda"
)

// Lambda's resource-based policy operations (2015-03-31) on the ui
// address, so that `aws lambda add-permission`, `remove-permission` and
// `get-policy` work against local functions, and a permission added or
// removed this way changes at once what the gateway may invoke:
//
//	GET    /2015-03-31/functions/{name}/policy        GetPolicy
//	POST   /2015-03-31/functions/{name}/policy        AddPermission
//	DELETE /2015-03-31/functions/{name}/policy/{sid}  RemovePermission

// Policies holds the functions' policies (authz.Policies). Its errors
// are *lambda.ServiceError with Lambda's type, status and message.
type Policies interface {
	GetPolicy(function string) (policy, revisionID string, err error)
	AddPermission(function string, in lambda.PermissionInput) (statement string, err error)
	RemovePermission(function, statementID, revisionID string) error
}

// PolicyAPI serves the policy operations.
type PolicyAPI struct {
	logger   *slog.Logger
	policies Policies
}

// NewPolicyAPI returns the handlers.
func NewPolicyAPI(logger *slog.Logger, p Policies) *PolicyAPI {
	return &PolicyAPI{logger: logger, policies: p}
}

// GetPolicy serves GET /2015-03-31/functions/{name}/policy.
func (a *PolicyAPI) GetPolicy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", awsid.NewUUID())
	policy, rev, err := a.policies.GetPolicy(r.PathValue("name"))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSONStatus(w, http.StatusOK, map[string]string{"Policy": policy, "RevisionId": rev})
}

// AddPermission serves POST /2015-03-31/functions/{name}/policy.
func (a *PolicyAPI) AddPermission(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", awsid.NewUUID())
	var in lambda.PermissionInput
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil {
		writeError(w, &lambda.ServiceError{Type: "InvalidRequestContentException", Status: http.StatusBadRequest,
			Message: "Could not parse request body into json: " + err.Error()})
		return
	}
	stmt, err := a.policies.AddPermission(r.PathValue("name"), in)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSONStatus(w, http.StatusCreated, map[string]string{"Statement": stmt})
}

// RemovePermission serves DELETE /2015-03-31/functions/{name}/policy/{sid}.
func (a *PolicyAPI) RemovePermission(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", awsid.NewUUID())
	sid, _ := url.PathUnescape(r.PathValue("sid"))
	if err := a.policies.RemovePermission(r.PathValue("name"), sid, r.URL.Query().Get("RevisionId")); err != nil {
		a.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *PolicyAPI) fail(w http.ResponseWriter, err error) {
	var se *lambda.ServiceError
	if !errors.As(err, &se) {
		a.logger.Error("policy operation", slog.Any("err", err))
		se = &lambda.ServiceError{Type: "ServiceException", Status: http.StatusInternalServerError, Message: err.Error()}
	}
	writeError(w, se)
}
