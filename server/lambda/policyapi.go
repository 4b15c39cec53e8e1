package lambda

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gatescope/gatescope/server/awsid"
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
// are *ServiceError with Lambda's type, status and message.
type Policies interface {
	GetPolicy(function string) (policy, revisionID string, err error)
	AddPermission(function string, in PermissionInput) (statement string, err error)
	RemovePermission(function, statementID, revisionID string) error
}

// PermissionInput is AddPermission's request body.
type PermissionInput struct {
	StatementID         string `json:"StatementId"`
	Action              string `json:"Action"`
	Principal           string `json:"Principal"`
	SourceArn           string `json:"SourceArn,omitempty"`
	SourceAccount       string `json:"SourceAccount,omitempty"`
	EventSourceToken    string `json:"EventSourceToken,omitempty"`
	PrincipalOrgID      string `json:"PrincipalOrgID,omitempty"`
	RevisionID          string `json:"RevisionId,omitempty"`
	FunctionURLAuthType string `json:"FunctionUrlAuthType,omitempty"`
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
	writeJSON(w, http.StatusOK, map[string]string{"Policy": policy, "RevisionId": rev})
}

// AddPermission serves POST /2015-03-31/functions/{name}/policy.
func (a *PolicyAPI) AddPermission(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", awsid.NewUUID())
	var in PermissionInput
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil {
		writeServiceError(w, &ServiceError{Type: "InvalidRequestContentException", Status: http.StatusBadRequest,
			Message: "Could not parse request body into json: " + err.Error()})
		return
	}
	stmt, err := a.policies.AddPermission(r.PathValue("name"), in)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"Statement": stmt})
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
	var se *ServiceError
	if !errors.As(err, &se) {
		a.logger.Error("policy operation", slog.Any("err", err))
		se = &ServiceError{Type: "ServiceException", Status: http.StatusInternalServerError, Message: err.Error()}
	}
	writeServiceError(w, se)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
