// Command traced is the tracing benchmark's function: it does no work but
// send SEGMENTS subsegment documents per invocation to the X-Ray daemon,
// each alone, as aws-xray-sdk-go does in Lambda (a top-level subsegment
// with an annotation, metadata and an embedded child, ~600 bytes).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

var (
	conn     net.Conn
	segments = 3
)

func id() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func handle(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	hdr, _ := ctx.Value("x-amzn-trace-id").(string)
	var root, parent string
	sampled := false
	for _, p := range strings.Split(hdr, ";") {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "Root":
			root = v
		case "Parent":
			parent = v
		case "Sampled":
			sampled = v == "1"
		}
	}
	if sampled && conn != nil {
		now := float64(time.Now().UnixMicro()) / 1e6
		for i := range segments {
			doc := fmt.Sprintf(`{"format": "json", "version": 1}`+"\n"+
				`{"trace_id":%q,"id":%q,"name":"work-%d","start_time":%f,"end_time":%f,"parent_id":%q,"type":"subsegment",`+
				`"annotations":{"customer":"c-42","attempt":%d},"metadata":{"default":{"items":["book","pen"],"total":42.5}},`+
				`"subsegments":[{"id":%q,"name":"orders-db","start_time":%f,"end_time":%f,"namespace":"remote",`+
				`"sql":{"sanitized_query":"SELECT * FROM orders WHERE id = ?","database_type":"PostgreSQL","url":"postgres://db:5432/shop"},"Dummy":false}],"Dummy":false}`,
				root, id(), i, now, now+0.001, parent, i, id(), now, now+0.0005)
			conn.Write([]byte(doc))
		}
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "ok"}, nil
}

func main() {
	if n, err := strconv.Atoi(os.Getenv("SEGMENTS")); err == nil {
		segments = n
	}
	if addr := os.Getenv("AWS_XRAY_DAEMON_ADDRESS"); addr != "" {
		conn, _ = net.Dial("udp", addr)
	}
	lambda.Start(handle)
}
