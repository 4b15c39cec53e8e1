package lambda

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCredentials: a function always gets credentials an SDK can sign
// with: the caller's variables (passed by environ), else the profile and
// shared files, else placeholders.
func TestCredentials(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	got := credentials()
	if len(got) != 3 || !slices.Contains(got, "AWS_ACCESS_KEY_ID="+placeholderKeyID) || !strings.HasPrefix(got[1], "AWS_SECRET_ACCESS_KEY=") {
		t.Errorf("without any: %v", got)
	}
	os.MkdirAll(filepath.Join(home, ".aws"), 0o755)
	os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte("[default]\n"), 0o600)
	if got := credentials(); len(got) != 0 {
		t.Errorf("with ~/.aws/credentials: %v, want nothing (the SDK reads the file)", got)
	}
	t.Setenv("AWS_PROFILE", "dev")
	if got := credentials(); !slices.Equal(got, []string{"AWS_PROFILE=dev"}) {
		t.Errorf("with a profile: %v", got)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDUSER")
	if got := credentials(); got != nil {
		t.Errorf("with the caller's keys: %v (environ passes them)", got)
	}
}
