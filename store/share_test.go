package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

func TestShares(t *testing.T) {
	ctx := context.Background()
	now := t0
	db := openTest(t, Options{Now: func() time.Time { return now }})
	s, err := db.EnsureSession(ctx, "bug")
	if err != nil {
		t.Fatal(err)
	}
	hash := func(tok string) []byte { h := sha256.Sum256([]byte(tok)); return h[:] }
	if err := db.CreateShare(ctx, hash("live"), s.ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateShare(ctx, hash("old"), s.ID, now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateShare(ctx, hash("x"), "nosuch", now.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Errorf("share of unknown session: %v, want ErrNotFound", err)
	}
	tests := []struct {
		name, token string
		found       bool
	}{
		{"live", "live", true},
		{"expired", "old", false},
		{"unknown", "guess", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh, err := db.ShareByHash(ctx, hash(tt.token))
			if tt.found {
				if err != nil || sh.SessionID != s.ID || !sh.ExpiresAt.Equal(now.Add(time.Hour)) {
					t.Fatalf("ShareByHash = %+v, %v", sh, err)
				}
				return
			}
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("ShareByHash = %+v, %v; want ErrNotFound", sh, err)
			}
		})
	}
	if err := db.RevokeShare(ctx, hash("live")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ShareByHash(ctx, hash("live")); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoked share still found: %v", err)
	}
	if err := db.RevokeShare(ctx, hash("live")); !errors.Is(err, ErrNotFound) {
		t.Errorf("second revoke: %v, want ErrNotFound", err)
	}
	// Shares go with their session.
	if err := db.CreateShare(ctx, hash("again"), s.ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSession(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ShareByHash(ctx, hash("again")); !errors.Is(err, ErrNotFound) {
		t.Errorf("share of a deleted session: %v", err)
	}
}

func TestImportExchanges(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	orig := fullExchange("src", 1)
	replay := fullExchange("src", 2)
	replay.ReplayOf = orig.ID
	replay.Starred, replay.Note = true, "look here"
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{orig}); err != nil {
		t.Fatal(err)
	}
	// Re-importing into the same database: the stored id is taken, so the
	// copy gets a fresh one and the replay link follows it.
	a := fullExchange("", 1)
	a.ID = orig.ID
	b := *replay
	s, err := db.ImportExchanges(ctx, "imported", "a note", []*exchange.Exchange{a, &b})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "imported" || s.Note != "a note" || s.Exchanges != 2 {
		t.Errorf("session = %+v", s)
	}
	if a.ID == orig.ID || b.ReplayOf != a.ID || b.ID != replay.ID {
		t.Errorf("ids: a %s (orig %s), b %s replayOf %s", a.ID, orig.ID, b.ID, b.ReplayOf)
	}
	got, err := db.Exchange(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Annotate(ctx, []*exchange.Exchange{got}); err != nil {
		t.Fatal(err)
	}
	if !got.Starred || got.Note != "look here" {
		t.Errorf("annotations not imported: %v %q", got.Starred, got.Note)
	}

	// All or nothing: a failing exchange (bad session reference is not
	// possible here, so a cancelled context) leaves nothing behind.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.ImportExchanges(cctx, "never", "", []*exchange.Exchange{fullExchange("", 5)}); err == nil {
		t.Error("import with a cancelled context succeeded")
	}
	if _, err := db.Session(ctx, "never"); !errors.Is(err, ErrNotFound) {
		t.Errorf("failed import left a session: %v", err)
	}
	if _, err := db.ImportExchanges(ctx, "", "", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty session name: %v", err)
	}
}
