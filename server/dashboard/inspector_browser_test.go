package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatescope/gatescope/server/exchange"
)

// TestBrowserInspectorLargeBody: a JSON body longer than the page carries
// is fetched whole into its tree, which draws a page of children at a
// time and says each big node's size; the raw view keeps the server's cut
// text and says so.
func TestBrowserInspectorLargeBody(t *testing.T) {
	e := newBrowserEnv(t)
	items := make([]map[string]any, 3000)
	for i := range items {
		items[i] = map[string]any{"id": i, "name": fmt.Sprintf("item %d", i)}
	}
	body, _ := json.Marshal(items)
	x := okExchange(40, func(x *exchange.Exchange) {
		x.ID, x.StartedAt = exchange.NewID(time.Now()), time.Now()
		x.Response.Body = string(body)
		x.Response.Headers = map[string][]string{"Content-Type": {"application/json"}}
	})
	if err := e.db.InsertExchanges(context.Background(), []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	e.do(t, "wide", chromedp.EmulateViewport(1440, 1000))
	e.do(t, "open", chromedp.Navigate(e.url+"/exchanges/"+x.ID))
	root := `document.querySelector('[data-testid=panel-response] .jt > .jt-node')`
	e.waitJS(t, "the whole body's tree", root+`?.firstElementChild.textContent.startsWith('[3000]')`)
	shown := func() int {
		return run(t, e, "rows drawn", chromedp.Evaluate[int](root+`.querySelectorAll(':scope > .jt-kids > .jt-node').length`))
	}
	if n := shown(); n != 200 {
		t.Errorf("%d rows drawn, want a page of 200", n)
	}
	if size := run(t, e, "size", chromedp.Evaluate[string](root+`.querySelector('.jt-size')?.textContent || ''`)); !strings.HasSuffix(size, " KB") {
		t.Errorf("the root's size badge = %q", size)
	}
	if cut := run(t, e, "cut note", chromedp.Evaluate[bool](`!!document.querySelector('[data-testid=response-body-show-all]').getClientRects().length`)); cut {
		t.Error("'Shown in part' shows beside the whole tree")
	}
	e.do(t, "more", chromedp.Click(chromedp.CSS(`[data-testid=panel-response] .jt-page`)))
	e.waitJS(t, "the next page drawn", root+`.querySelectorAll(':scope > .jt-kids > .jt-node').length === 400`)
	// Too long to carry in the page, the response is fetched to be copied.
	if n := run(t, e, "inline copy", chromedp.Evaluate[int](`document.getElementById('response-src').value.length`)); n != 0 {
		t.Errorf("the page carries %d bytes of a %d-byte copy", n, len(body))
	}
	e.do(t, "copy the response", chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText = async t => { window.copied = t; }`),
		chromedp.Click(chromedp.CSS(`[data-testid=copy-response]`)))
	e.waitJS(t, "the whole response copied", fmt.Sprintf(`window.copied?.length === %d`, len(body)))
	e.do(t, "raw", chromedp.KeyEvent("r"))
	e.waitJS(t, "the raw text, cut, says so", `document.querySelector('#response-body').getClientRects().length > 0 &&
		document.querySelector('[data-testid=response-body-show-all]').getClientRects().length > 0`)
}
