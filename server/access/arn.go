// Package access holds the access-control decisions API Gateway and Lambda
// make, as pure functions: IAM's ArnLike matching, an authorizer's IAM
// policy evaluated against a method ARN, a function's resource-based policy
// evaluated against the execute-api ARN of a call, JWT verification and
// claim checks, and SigV4 signature checks. Keys, credentials and the time
// are inputs: nothing here fetches, reads a clock or keeps state. Its
// answers carry AWS's own wording where AWS shows one (www-authenticate
// descriptions, SigV4 messages) and a sentence a developer can act on.
package access

import "strings"

// ArnLike reports whether arn matches pattern as IAM's ArnLike condition
// and policy Resource matching do: both split into their six
// colon-separated parts, each part matched on its own, where * matches any
// run of characters (in the last part, the resource, "/" and ":"
// included) and ? any one character. A pattern that is not an ARN ("*")
// is matched against the whole string.
func ArnLike(pattern, arn string) bool {
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return Glob(pattern, arn)
	}
	for i := range pp {
		if !Glob(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// Glob matches s against a pattern in which * matches any run of
// characters and ? exactly one; everything else matches itself, case
// sensitively.
func Glob(pattern, s string) bool {
	// Iterative with one backtrack point: linear in practice, never
	// exponential on patterns like a*a*a*a*b.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
