package lambda

import (
	"os"
	"path/filepath"
)

// Lambda always gives a function credentials (its role's, in
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN), so an
// SDK in a function can sign its calls, to gatescope's @connections API
// too. Locally a function gets the user's: the variables when set (passed
// with the others in environ), else the named profile and shared files,
// which the SDK reads from HOME as on the user's machine. With none of
// these, it gets placeholders: they sign, gatescope does not check
// signatures, and a call to AWS itself fails with InvalidClientTokenId,
// which says what is missing.

// Placeholder credentials for a machine without any.
const (
	placeholderKeyID  = "ASIAGATESCOPELOCAL00"
	placeholderSecret = "gatescope/local/placeholder/secret/key00"
	placeholderToken  = "gatescope-local-placeholder-session-token"
)

// credentials returns what environ adds for the function's credentials.
func credentials() []string {
	if os.Getenv("AWS_ACCESS_KEY_ID") != "" {
		return nil // passed as they are
	}
	var out []string
	for _, k := range []string{"AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	if len(out) > 0 || sharedConfigExists() {
		return out
	}
	return []string{"AWS_ACCESS_KEY_ID=" + placeholderKeyID, "AWS_SECRET_ACCESS_KEY=" + placeholderSecret,
		"AWS_SESSION_TOKEN=" + placeholderToken}
}

// sharedConfigExists reports whether ~/.aws/credentials or ~/.aws/config
// exists.
func sharedConfigExists() bool {
	home, err := os.UserHomeDir()
	if err != nil {
		return false
	}
	for _, f := range []string{"credentials", "config"} {
		if _, err := os.Stat(filepath.Join(home, ".aws", f)); err == nil {
			return true
		}
	}
	return false
}
