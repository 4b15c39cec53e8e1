package apigw

import (
	"hash/fnv"
	"time"
)

// APIID derives a stable API Gateway-shaped id (10 characters of [a-z0-9])
// from an API's logical id, so the same template always yields the same
// apiId across restarts and machines.
func APIID(logicalID string) string { return shortID(logicalID, 10) }

// ResourceID derives a REST resourceId (6 characters) from the API id and
// resource path.
func ResourceID(apiID, path string) string { return shortID(apiID+" "+path, 6) }

// DeploymentID derives a REST deploymentId (6 characters) from the API id and stage.
func DeploymentID(apiID, stage string) string { return shortID(apiID+" deployment "+stage, 6) }

func shortID(s string, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	h := fnv.New64a()
	h.Write([]byte(s))
	v := h.Sum64()
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[v%36]
		v /= 36
	}
	return string(out)
}

// requestTime formats t the way API Gateway writes requestContext.time and
// requestTime: "14/Apr/2025:22:13:56 +0000", always UTC.
func requestTime(t time.Time) string {
	return t.UTC().Format("02/Jan/2006:15:04:05 +0000")
}
