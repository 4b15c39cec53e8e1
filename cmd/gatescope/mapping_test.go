package main

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatescope/gatescope/server/testenv"
)

// TestPublicMappingPattern serves a public mapping-template pattern as a
// user would: a custom Lambda integration whose response template sets
// the status and rewrites the function's answer. Deployed it answers 400
// {"statuscode":650,"body":"changed"}.
func TestPublicMappingPattern(t *testing.T) {
	testenv.Need(t, "python3")
	a := serveTemplate(t, "testdata/mappingpattern/template.yaml", "")
	resp, err := http.Post("http://"+a.apiLn.Addr().String()+"/dev/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || string(body) != `{"statuscode":650,"body":"changed"}` {
		t.Errorf("POST /dev/ answered %d %s, want 400 {\"statuscode\":650,\"body\":\"changed\"} as deployed", resp.StatusCode, body)
	}
	if n := len(a.project.NotEmulated); n != 0 {
		t.Errorf("the pattern has %d features listed as not emulated: %v", n, a.project.NotEmulated)
	}
}

// TestBrowserMapping opens the public pattern's exchange in the inspector
// (its Mapping steps), then edits its response template on the edit &
// replay page and replays: the replay answers through the edited template.
func TestBrowserMapping(t *testing.T) {
	testenv.Need(t, "python3")
	a := serveTemplate(t, "testdata/mappingpattern/template.yaml", "")
	api, ui := "http://"+a.apiLn.Addr().String(), "http://"+a.uiLn.Addr().String()
	resp, err := http.Post(api+"/dev/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var list struct{ Exchanges []struct{ ID string } }
	testenv.Eventually(t, 10*time.Second, "the exchange stored", func() bool {
		getJSONInto(t, ui+"/api/exchanges?limit=1", &list)
		return len(list.Exchanges) == 1
	})
	id := list.Exchanges[0].ID

	tab := testenv.Browser(t, chromedp.WindowSize(1280, 900))
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	do("open the inspector's Mapping tab", chromedp.Navigate(ui+"/exchanges/"+id),
		chromedp.Click(chromedp.CSS(`[data-testid=tab-mapping]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=step-response-template]`)))
	testenv.WaitJS(t, tab, "the steps in order, the selection explained",
		`[...document.querySelectorAll('[data-testid=mapping-steps] [data-step]')].map(e => e.dataset.step).join(' ') === 'request request-template payload result selection response-template response'
		 && document.querySelector('[data-testid=step-note-selection]').innerText.includes('successful invocation')
		 && document.querySelector('[data-testid=step-output-response-template]').innerText.includes('"statuscode": 650')`)
	screenshot(t, tab, "inspector-mapping.png")

	// The link navigates: wait by evaluating in a loop, since a query
	// begun on the inspector dies with it.
	do("open edit & replay at its templates", chromedp.Click(chromedp.CSS(`[data-testid=edit-templates]`)))
	testenv.WaitJS(t, tab, "the edit page with the response template",
		`location.pathname.includes('/edit') && document.readyState === 'complete' && !!document.querySelector('[data-testid=edit-response-template]')`)
	do("edit the response template",
		chromedp.SetValue(chromedp.CSS(`[data-testid=edit-response-template]`), `#set($context.responseOverride.status = 202){"edited": $input.json('$.statuscode')}`),
		chromedp.Click(chromedp.CSS(`[data-testid=edit-submit]`)))
	testenv.WaitJS(t, tab, "the diff of the replay through the edited template",
		`location.pathname.includes('/diff/') && document.querySelector('[data-testid=status-after]').innerText.includes('202')
		 && document.querySelector('[data-testid=body-after]').innerText.includes('"edited": 200')`)
}
