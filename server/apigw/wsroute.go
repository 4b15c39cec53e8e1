package apigw

import (
	"strings"

	"github.com/gatescope/gatescope/server/config"
)

// WebSocket returns the WebSocket API a handshake to rawPath opens:
// /<stage> of a WebSocket API (the first declared, on the merged address,
// when two share a stage); on an API's own host also its root. A handshake
// no WebSocket API takes is served as any other request.
func (r *Router) WebSocket(rawPath string) (*config.API, bool) {
	p := strings.TrimSuffix(rawPath, "/")
	for _, api := range r.ws {
		if p == "/"+api.Stage || (p == "" && r.scope != "") {
			return api, true
		}
	}
	return nil, false
}

// WebSocketAPIs lists the WebSocket APIs this router (the merged address,
// or one API's own host) serves.
func (r *Router) WebSocketAPIs() []*config.API { return r.ws }
