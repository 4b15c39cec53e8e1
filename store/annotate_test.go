package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/exchange"
)

func ptr(s string) *string { return &s }

func TestUpdateSession(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	a, err := db.EnsureSession(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureSession(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		id       string
		u        SessionUpdate
		wantErr  error
		wantName string
		wantNote string
	}{
		{"rename", a.ID, SessionUpdate{Name: ptr(" renamed ")}, nil, "renamed", ""},
		{"note only", a.ID, SessionUpdate{Note: ptr("why it broke")}, nil, "renamed", "why it broke"},
		{"both", a.ID, SessionUpdate{Name: ptr("c"), Note: ptr("")}, nil, "c", ""},
		{"same name", a.ID, SessionUpdate{Name: ptr("c")}, nil, "c", ""},
		{"taken", a.ID, SessionUpdate{Name: ptr("b")}, ErrNameTaken, "c", ""},
		{"empty name", a.ID, SessionUpdate{Name: ptr("  ")}, ErrInvalid, "c", ""},
		{"note too long", a.ID, SessionUpdate{Note: ptr(strings.Repeat("x", MaxNote+1))}, ErrInvalid, "c", ""},
		{"unknown", "nosuch", SessionUpdate{Note: ptr("x")}, ErrNotFound, "c", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.UpdateSession(ctx, tt.id, tt.u)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			s, err := db.Session(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tt.wantName || s.Note != tt.wantNote {
				t.Errorf("session = %q %q, want %q %q", s.Name, s.Note, tt.wantName, tt.wantNote)
			}
		})
	}
}

func TestStarsAndNotes(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	x, y := fullExchange("s", 1), fullExchange("s", 2)
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{x, y}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name        string
		do          func() error
		wantErr     error
		starred     bool
		note        string
		otherStarry bool
	}{
		{"star", func() error { return db.SetStar(ctx, x.ID, true) }, nil, true, "", false},
		{"star twice", func() error { return db.SetStar(ctx, x.ID, true) }, nil, true, "", false},
		{"note", func() error { return db.SetNote(ctx, x.ID, "first") }, nil, true, "first", false},
		{"note again", func() error { return db.SetNote(ctx, x.ID, "second") }, nil, true, "second", false},
		{"unstar", func() error { return db.SetStar(ctx, x.ID, false) }, nil, false, "second", false},
		{"clear note", func() error { return db.SetNote(ctx, x.ID, "") }, nil, false, "", false},
		{"star unknown", func() error { return db.SetStar(ctx, "nosuch", true) }, ErrNotFound, false, "", false},
		{"note unknown", func() error { return db.SetNote(ctx, "nosuch", "x") }, ErrNotFound, false, "", false},
		{"note too long", func() error { return db.SetNote(ctx, x.ID, strings.Repeat("x", MaxNote+1)) }, ErrInvalid, false, "", false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := st.do()
			if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, st.wantErr)
			}
			got, err := db.Exchange(ctx, x.ID)
			if err != nil {
				t.Fatal(err)
			}
			other, _ := db.Exchange(ctx, y.ID)
			if err := db.Annotate(ctx, []*exchange.Exchange{got, other}); err != nil {
				t.Fatal(err)
			}
			if got.Starred != st.starred || got.Note != st.note || other.Starred || other.Note != "" {
				t.Errorf("annotations = %v %q (other %v %q), want %v %q", got.Starred, got.Note,
					other.Starred, other.Note, st.starred, st.note)
			}
		})
	}
	// Annotations go with their exchange.
	if err := db.SetStar(ctx, x.ID, true); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Prune(ctx, 1, t0.Add(-1)); err != nil || n != 1 {
		t.Fatalf("prune: %d %v", n, err)
	}
	var stars int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM exchange_stars`).Scan(&stars); err != nil || stars != 0 {
		t.Errorf("stars left after prune: %d %v", stars, err)
	}
}
