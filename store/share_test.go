package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatescope/gatescope/migrations"
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

// TestShareSnapshot: a link shows the exchanges its session had when it was
// made; later ones, in its session or any other, never appear, and the
// listing says what each snapshot holds.
func TestShareSnapshot(t *testing.T) {
	ctx := context.Background()
	now := t0
	db := openTest(t, Options{Now: func() time.Time { return now }})
	hash := func(tok string) []byte { h := sha256.Sum256([]byte(tok)); return h[:] }
	insert := func(session string, i int) *exchange.Exchange {
		t.Helper()
		x := fullExchange(session, i)
		if err := db.InsertExchanges(ctx, []*exchange.Exchange{x}); err != nil {
			t.Fatal(err)
		}
		return x
	}
	s, err := db.EnsureSession(ctx, "bug")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateShare(ctx, hash("empty"), s.ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	a, b := insert("bug", 1), insert("bug", 2)
	insert("other", 3)
	now = now.Add(time.Minute)
	if err := db.CreateShare(ctx, hash("two"), s.ID, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	c := insert("bug", 4) // after both links

	shown := func(tok string) []string {
		t.Helper()
		sh, err := db.ShareByHash(ctx, hash(tok))
		if err != nil {
			t.Fatal(err)
		}
		xs, _, err := db.Exchanges(ctx, Filter{Session: sh.SessionID, StoredBefore: sh.Before})
		if err != nil {
			t.Fatal(err)
		}
		ids := []string{}
		for _, x := range xs {
			ids = append(ids, x.ID)
		}
		for _, x := range []*exchange.Exchange{a, b, c} {
			_, err := db.SharedExchange(ctx, sh, x.ID)
			if in := slices.Contains(ids, x.ID); in != (err == nil) {
				t.Errorf("link %q: exchange %s listed %v, but SharedExchange says %v", tok, x.ID, in, err)
			}
		}
		return ids
	}
	if diff := cmp.Diff([]string{}, shown("empty")); diff != "" {
		t.Errorf("link made on an empty session (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{b.ID, a.ID}, shown("two")); diff != "" {
		t.Errorf("link made after two exchanges (-want +got):\n%s", diff)
	}
	two, _ := db.ShareByHash(ctx, hash("two"))
	if _, err := db.SharedExchange(ctx, two, "nosuch"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown exchange: %v", err)
	}

	got, err := db.SessionShares(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []*Share{
		{Hash: hash("two"), SessionID: s.ID, CreatedAt: now, ExpiresAt: now.Add(2 * time.Hour), Before: two.Before, Exchanges: 2, LastID: b.ID},
		{Hash: hash("empty"), SessionID: s.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Before: 1, Exchanges: 0, LastID: ""},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) })); diff != "" {
		t.Errorf("SessionShares (-want +got):\n%s", diff)
	}
	if id := got[0].ID(); len(id) != 12 || id != ShareID(hash("two")) {
		t.Errorf("share id %q", id)
	}

	// Revoking by id: only the session's own link, and a malformed or
	// another session's id is not found.
	o, _ := db.EnsureSession(ctx, "other")
	if err := db.RevokeShareID(ctx, o.ID, got[0].ID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke through another session: %v", err)
	}
	for _, bad := range []string{"", "zz", got[0].ID()[:10], got[0].ID() + "00"} {
		if err := db.RevokeShareID(ctx, s.ID, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("revoke %q: %v, want ErrNotFound", bad, err)
		}
	}
	if err := db.RevokeShareID(ctx, s.ID, got[0].ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ShareByHash(ctx, hash("two")); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoked link still opens: %v", err)
	}
	if err := db.RevokeShareID(ctx, s.ID, got[0].ID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("second revoke: %v", err)
	}

	// Revoke all: expired links go too; other sessions' links stay.
	db.CreateShare(ctx, hash("expired"), s.ID, now.Add(-time.Second))
	db.CreateShare(ctx, hash("theirs"), o.ID, now.Add(time.Hour))
	if n, err := db.RevokeSessionShares(ctx, s.ID); n != 2 || err != nil {
		t.Errorf("revoke all = %d, %v; want 2 (one live, one expired)", n, err)
	}
	if left, _ := db.SessionShares(ctx, s.ID); len(left) != 0 {
		t.Errorf("%d links left after revoke all", len(left))
	}
	if _, err := db.ShareByHash(ctx, hash("theirs")); err != nil {
		t.Errorf("another session's link was revoked: %v", err)
	}
}

// TestShareMigrationFreezesLiveLinks: links made before snapshots existed
// were live views; the migration freezes them where the store is, so none
// shows more than it did.
func TestShareMigrationFreezesLiveLinks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"0001_init.sql", "0002_share.sql"} {
		src, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(src)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 2`,
		`INSERT INTO sessions (id, name, created_at) VALUES ('s1', 'old', 0)`,
		`INSERT INTO exchanges (id, session_id, started_at) VALUES ('x1', 's1', 0), ('x2', 's1', 0)`,
		`INSERT INTO shares (hash, session_id, created_at, expires_at) VALUES (x'0102030405060708', 's1', 0, 9000000000000000000)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.InsertExchanges(ctx, []*exchange.Exchange{fullExchange("old", 1)})
	got, err := db.SessionShares(ctx, "s1")
	if err != nil || len(got) != 1 || got[0].Exchanges != 2 || got[0].LastID != "x2" || got[0].ID() != "010203040506" {
		t.Fatalf("migrated link = %+v, %v; want a snapshot of x1 and x2", got, err)
	}
}
