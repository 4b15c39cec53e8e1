// Command gofn is a test function built with aws-lambda-go. What it does is
// chosen by the event, so one binary covers every behavior the tests need.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Echo    string `json:"echo"`
	Fail    string `json:"fail"`
	SleepMs int    `json:"sleepMs"`
	Exit    int    `json:"exit"`
	Big     int    `json:"big"`
	Print   string `json:"print"`
	Env     bool   `json:"env"`
	PrintMB int    `json:"printMB"` // print this many MB of numbered lines
}

func handle(ctx context.Context, ev event) (any, error) {
	if ev.Print != "" {
		fmt.Println(ev.Print)
		fmt.Fprintln(os.Stderr, "stderr: "+ev.Print)
	}
	if ev.PrintMB > 0 {
		w := bufio.NewWriterSize(os.Stdout, 64<<10)
		line := strings.Repeat(".", 85)
		for i := 0; i < ev.PrintMB<<20/100; i++ {
			fmt.Fprintf(w, "line %08d %s\n", i, line) // 100 bytes
		}
		w.Flush()
	}
	if ev.SleepMs > 0 {
		time.Sleep(time.Duration(ev.SleepMs) * time.Millisecond)
	}
	switch {
	case ev.Exit != 0:
		os.Exit(ev.Exit)
	case ev.Fail != "":
		return nil, errors.New(ev.Fail)
	case ev.Big > 0:
		return strings.Repeat("x", ev.Big), nil
	case ev.Env:
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		out := map[string]string{
			"requestId":   lc.AwsRequestID,
			"functionArn": lc.InvokedFunctionArn,
			"remainingMs": fmt.Sprint(time.Until(deadline).Milliseconds()),
		}
		for _, k := range []string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
			"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION", "AWS_DEFAULT_REGION", "_HANDLER",
			"LAMBDA_TASK_ROOT", "TZ", "AWS_LAMBDA_RUNTIME_API", "_X_AMZN_TRACE_ID", "GREETING"} {
			out[k] = os.Getenv(k)
		}
		return out, nil
	}
	return map[string]string{"echo": ev.Echo}, nil
}

func main() { lambda.Start(handle) }
