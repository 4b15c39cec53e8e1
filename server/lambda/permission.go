package lambda

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
