package config

import (
	"fmt"
	"slices"
	"strings"
)

// lambdaRuntimes are the runtime identifiers Lambda accepts, as
// aws-sdk-go-v2's service/lambda v1.114.4 lists them (types.Runtime),
// deprecated ones included: CloudFormation rejects any other name.
var lambdaRuntimes = []string{
	"nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x",
	"nodejs14.x", "nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x", "nodejs26.x",
	"python2.7", "python3.6", "python3.7", "python3.8", "python3.9", "python3.10", "python3.11",
	"python3.12", "python3.13", "python3.14", "python3.15",
	"java8", "java8.al2", "java8.al2023", "java11", "java11.al2023", "java17", "java17.al2023", "java21", "java25",
	"dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8", "dotnet10",
	"ruby2.5", "ruby2.7", "ruby3.2", "ruby3.3", "ruby3.4", "ruby4.0",
	"go1.x", "provided", "provided.al2", "provided.al2023",
}

// checkRuntime refuses a runtime Lambda does not have, as CloudFormation
// would at deploy, suggesting the nearest real one.
func checkRuntime(rt string) error {
	if slices.Contains(lambdaRuntimes, rt) {
		return nil
	}
	msg := fmt.Sprintf("%q is not a Lambda runtime; CloudFormation would refuse it (Value '%s' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set)", rt, rt)
	if near := nearestRuntime(rt); near != "" {
		msg += "; did you mean " + near + "?"
	}
	return fmt.Errorf("%s", msg)
}

// nearestRuntime is the runtime closest to rt by edit distance, when it is
// close enough to be a typo; of equally close ones, the one sharing the
// longest prefix with rt ("nodejs22" is nodejs22.x, not nodejs).
func nearestRuntime(rt string) string {
	rt = strings.ToLower(rt)
	best, bestDist, bestPrefix := "", len(rt)/2+1, 0
	for _, r := range lambdaRuntimes {
		d, p := editDistance(rt, r), commonPrefix(rt, r)
		if d < bestDist || (d == bestDist && best != "" && p > bestPrefix) {
			best, bestDist, bestPrefix = r, d, p
		}
	}
	return best
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// runtimeEmulated reports whether gatescope can run a function of runtime
// rt (the families server/lambda starts); server/lambda checks the exact
// version against the local interpreter.
func runtimeEmulated(rt string) bool {
	rt = strings.ToLower(rt)
	return strings.HasPrefix(rt, "provided") || rt == "go1.x" ||
		strings.HasPrefix(rt, "nodejs") || strings.HasPrefix(rt, "python")
}
