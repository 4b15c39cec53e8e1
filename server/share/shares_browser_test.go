package share_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatescope/gatescope/server/share"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
)

// TestBrowserShareLinks: in the dashboard's session bar, sharing a session
// shows the link and, beside it, where it opens, and lists the new link
// (its id and what its snapshot holds, never its token);
// Revoke makes the link stop opening and takes it off the list; Revoke all
// clears the rest.
func TestBrowserShareLinks(t *testing.T) {
	db := share.OpenStore(t)
	s, xs := share.Seed(t, db, "bar")
	srv := uitest.Server(t, db, nil, ui.Deps{})

	tab := testenv.Browser(t)
	step, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(step, chromedp.Navigate(srv.URL+"/?session="+url.QueryEscape(s.Name)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=share]`))); err != nil {
		t.Fatal(err)
	}
	// No links yet: the list stays out of the way.
	testenv.WaitJS(t, step, "the empty link list hidden", `document.querySelector('[data-testid=shares]').hidden`)

	var link string
	for range 2 {
		if err := chromedp.Do(step, chromedp.Click(chromedp.CSS(`[data-testid=share]`))); err != nil {
			t.Fatal(err)
		}
		testenv.WaitJS(t, step, "a new link shown", `document.querySelector('[data-testid=share-url]').value !== `+jsString(link))
		var err error
		if link, err = chromedp.Run(step, chromedp.Value(chromedp.CSS(`[data-testid=share-url]`))); err != nil {
			t.Fatal(err)
		}
	}
	testenv.WaitJS(t, step, "two links listed", `document.querySelectorAll('[data-testid=share-item]').length === 2`)
	// Beside the link, where it opens: this dashboard is on loopback.
	reach, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`[data-testid=share-reach]`)))
	if err != nil || !strings.HasPrefix(reach, "This link opens only on this machine") || !strings.Contains(reach, "share file") {
		t.Errorf("beside the link: %q, %v", reach, err)
	}
	what, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`[data-testid=share-item]:first-child [data-testid=share-what]`)))
	if err != nil {
		t.Fatal(err)
	}
	bar, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`[data-testid=shares]`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(what, "3 exchanges as of ") || !strings.Contains(what, "expires in 24 h") || len(xs) != 3 {
		t.Errorf("link described as %q", what)
	}
	token := link[strings.LastIndex(link, "/")+1:]
	if strings.Contains(bar, token) {
		t.Error("the session bar shows a link's token")
	}

	// Revoke the newest (the link on screen): it stops opening.
	if resp := get(t, link); resp != http.StatusOK {
		t.Fatalf("link before revoking: %d", resp)
	}
	if err := chromedp.Do(step, chromedp.Click(chromedp.CSS(`[data-testid=share-item]:first-child [data-testid=share-revoke]`))); err != nil {
		t.Fatal(err)
	}
	testenv.WaitJS(t, step, "one link left", `document.querySelectorAll('[data-testid=share-item]').length === 1`)
	if resp := get(t, link); resp != http.StatusNotFound {
		t.Errorf("revoked link answers %d", resp)
	}
	testenv.WaitJS(t, step, "the revoke confirmed", `document.querySelector('[data-testid=bar-msg]').textContent.includes('revoked')`)

	if err := chromedp.Do(step, chromedp.Click(chromedp.CSS(`[data-testid=share-revoke-all]`))); err != nil {
		t.Fatal(err)
	}
	testenv.WaitJS(t, step, "no links left", `document.querySelector('[data-testid=shares]').hidden`)
	testenv.WaitJS(t, step, "revoke all counted", `document.querySelector('[data-testid=bar-msg]').textContent === 'Revoked 1 link.'`)
}

func get(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
