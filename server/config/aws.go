package config

import "time"

// The AWS values gatescope assumes where a template cannot say, in one
// place. Every package reads them from here (or from the Project, which
// Parse fills with them), never restating them.
const (
	// DefaultRegion applies when neither --region nor AWS_REGION says.
	DefaultRegion = "us-east-1"
	// DefaultAccountID is the account SAM CLI and AWS's documentation use.
	DefaultAccountID = "123456789012"

	// Lambda's function defaults and limits, as AWS documents them.
	DefaultFunctionTimeout = 3 * time.Second
	DefaultMemoryMB        = 128
	DefaultArchitecture    = "x86_64"
	maxTimeoutSec          = 900
	minMemory              = 128
	maxMemory              = 10240

	// Lambda's default account quotas, as GetAccountSettings reports them:
	// concurrent executions, deployment package sizes (zipped, unzipped)
	// and the storage for all functions and layers; and the /tmp size a
	// function gets without EphemeralStorage.
	AccountConcurrency = 1000
	CodeSizeZipped     = 50 << 20
	CodeSizeUnzipped   = 250 << 20
	TotalCodeSize      = 75 << 30
	DefaultEphemeralMB = 512

	// API Gateway's integration timeouts when a route sets none: 29 s for
	// REST and WebSocket APIs (WebSocket's is also the most allowed), 30 s
	// (also the most allowed) for HTTP APIs.
	defaultRESTTimeout = 29 * time.Second
	defaultHTTPTimeout = 30 * time.Second
	maxWSTimeoutMs     = 29000
)

// DefaultIntegrationTimeout is API Gateway's integration timeout for an API
// type when the route sets none.
func DefaultIntegrationTimeout(t APIType) time.Duration {
	if t == RESTAPI || t == WSAPI {
		return defaultRESTTimeout
	}
	return defaultHTTPTimeout
}

// IntegrationTimeout is how long API Gateway waits for the route's function:
// the route's own timeout, else its API type's default.
func (r *Route) IntegrationTimeout(t APIType) time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultIntegrationTimeout(t)
}
