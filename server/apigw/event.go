package apigw

import "fmt"

// BuildEvent returns the Lambda event for a matched request: payload 1.0 for
// REST APIs and for HTTP API routes declared with PayloadFormatVersion 1.0,
// payload 2.0 otherwise.
func BuildEvent(m *Match, req *Request) ([]byte, error) {
	switch v := payloadVersion(m); v {
	case "2.0":
		return buildV2(m, req, nil), nil
	case "1.0":
		return buildV1(m, req, nil), nil
	default:
		return nil, fmt.Errorf("api %s: route %q: payload format version %q is not 1.0 or 2.0", m.API.ID, m.Route.Key(), v)
	}
}
