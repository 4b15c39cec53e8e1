package main

import (
	"fmt"
	"net"
	"os"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/gateway"
)

// webSocketTLS prepares what functions of a project with a WebSocket API
// need to call the @connections API as AWS's samples do
// (https://<domainName>/<stage>): HTTPS on the api address, and the
// environment that makes their SDKs trust it and find it. It returns nil
// and no environment for a project without one; dir, when not "", holds
// the CA bundle and is removed at shutdown.
func webSocketTLS(p *config.Project, apiAddr net.Addr) (t *gateway.TLS, env []string, dir string, err error) {
	has := false
	for _, a := range p.APIs {
		has = has || a.Type == config.WSAPI
	}
	if !has {
		return nil, nil, "", nil
	}
	hosts := []string{}
	if ta, ok := apiAddr.(*net.TCPAddr); ok {
		hosts = append(hosts, ta.IP.String())
	}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	if t, err = gateway.NewTLS(hosts...); err != nil {
		return nil, nil, "", err
	}
	if dir, err = os.MkdirTemp("", "gatescope-ca-"); err != nil {
		return nil, nil, "", fmt.Errorf("CA bundle: %w", err)
	}
	bundle, err := t.WriteBundle(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, "", err
	}
	env = []string{
		"AWS_CA_BUNDLE=" + bundle,       // botocore, aws-sdk-go-v2
		"NODE_EXTRA_CA_CERTS=" + bundle, // Node.js (the AWS SDK for JavaScript)
		"SSL_CERT_FILE=" + bundle,       // Go's crypto/x509, OpenSSL
		// For SDK clients made without an endpoint: the management API
		// answers at /@connections/<id> on any host.
		"AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI=https://" + browsable(apiAddr.String()),
	}
	return t, env, dir, nil
}
