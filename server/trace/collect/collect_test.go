package collect

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/server/trace"
	"github.com/gatescope/gatescope/store"
)

// memStore keeps what the writer stores.
type memStore struct {
	mu   sync.Mutex
	docs []store.TraceDoc
}

func (m *memStore) InsertTraceDocs(_ context.Context, docs []store.TraceDoc) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs = append(m.docs, docs...)
	return nil
}

func (m *memStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.docs)
}

func startCollector(t *testing.T, st Store, opts Options) *Collector {
	t.Helper()
	c := New(slog.New(slog.DiscardHandler), st, opts)
	ctx, cancel := context.WithCancel(context.Background())
	go c.Run(ctx)
	t.Cleanup(func() { cancel(); <-c.Done() })
	return c
}

const (
	goHeader   = `{"format": "json", "version": 1}` + "\n"
	nodeHeader = `{"format":"json","version":1}` + "\n"
	root       = "1-5759e988-bd862e3fe1be46a994272793"
)

// TestDaemonStoresDatagrams sends the documents an SDK sends over UDP to
// a real store: a subsegment alone (Node's header), one in progress then
// complete (Go's header), garbage.
func TestDaemonStoresDatagrams(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "g.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := startCollector(t, db, Options{})
	d, err := c.ListenDaemon("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go d.Serve()
	t.Cleanup(func() { d.Close() })
	conn, err := net.DialUDP("udp", nil, d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send := func(s string) {
		if _, err := conn.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	send(nodeHeader + `{"id":"0f1e2d3c4b5a6978","name":"DynamoDB","start_time":1795978993.15,"end_time":1795978993.16,"namespace":"aws","type":"subsegment","parent_id":"53995c3f42cd8ad8","trace_id":"` + root + `"}`)
	send(goHeader + `{"trace_id":"` + root + `","id":"ee0fec52cdc9824b","name":"work","start_time":1795978993.149,"in_progress":true,"type":"subsegment","parent_id":"53995c3f42cd8ad8"}`)
	testenv.Eventually(t, 5*time.Second, "two documents stored", func() bool { return c.Counts().Stored == 2 })
	send(goHeader + `{"trace_id":"` + root + `","id":"ee0fec52cdc9824b","name":"work","start_time":1795978993.149,"end_time":1795978993.2,"type":"subsegment","parent_id":"53995c3f42cd8ad8"}`)
	send("hello")
	send(goHeader + `{"no":"id"}`)
	testenv.Eventually(t, 5*time.Second, "the complete document stored, two invalid", func() bool {
		n := c.Counts()
		return n.Stored == 3 && n.Invalid == 2
	})
	docs, err := db.TraceDocs(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	tr := trace.Assemble(root, docs)
	if len(tr.Segments) != 2 {
		t.Fatalf("segments: %+v", tr.Segments)
	}
	for _, s := range tr.Segments {
		if s.Name == "work" && (s.InProgress || s.EndTime != 1795978993.2) {
			t.Errorf("in-progress document not replaced: %+v", s)
		}
	}
	xs, _, err := db.Exchanges(context.Background(), store.Filter{Node: "aws:DynamoDB"})
	if err != nil || len(xs) != 0 {
		t.Errorf("node filter without an exchange: %v %v", xs, err)
	}
}

// TestRateAndQueueBounds: past the rate, datagrams are dropped unread and
// counted; a full queue drops too; nothing blocks the sender.
func TestRateAndQueueBounds(t *testing.T) {
	st := &memStore{}
	c := New(slog.New(slog.DiscardHandler), st, Options{Rate: 10, QueueSize: 4})
	doc := []byte(nodeHeader + `{"id":"a","trace_id":"` + root + `","name":"x","start_time":1}`)
	start := time.Now()
	for range 100 {
		c.Datagram(doc)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("100 datagrams took %v", took)
	}
	n := c.Counts()
	// 10 pass the rate, 4 fit the queue (no writer runs).
	if n.Received != 4 || n.Dropped != 96 {
		t.Errorf("counts = %+v, want 4 received, 96 dropped", n)
	}
	// The queue's byte budget bounds it too.
	small := New(slog.New(slog.DiscardHandler), st, Options{QueueBytes: int64(len(doc))})
	small.Datagram(doc)
	small.Datagram(doc)
	if n := small.Counts(); n.Received != 1 || n.Dropped != 1 {
		t.Errorf("byte budget: %+v", n)
	}
	big := append([]byte(nodeHeader), bytes.Repeat([]byte(" "), trace.MaxDatagram)...)
	c.Datagram(big)
	if c.Counts().Invalid != 1 {
		t.Errorf("oversized datagram not counted invalid: %+v", c.Counts())
	}
}

const otlpJSON = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]},
"scopeSpans":[{"spans":[{"traceId":"5759e988bd862e3fe1be46a994272793","spanId":"1111111111111111","parentSpanId":"53995c3f42cd8ad8",
"name":"orders","kind":2,"startTimeUnixNano":"1795978993000000000","endTimeUnixNano":"1795978993050000000"}]}]}]}`

func TestOTLPHTTP(t *testing.T) {
	st := &memStore{}
	c := startCollector(t, st, Options{Rate: 3, MaxBody: 4096})
	srv := httptest.NewServer(http.HandlerFunc(c.ServeOTLP))
	defer srv.Close()
	post := func(ctype, enc string, body []byte) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/traces", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := post("application/json", "", []byte(otlpJSON)); code != 200 || body != "{}" {
		t.Errorf("JSON: %d %s", code, body)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(otlpJSON))
	zw.Close()
	if code, body := post("application/json; charset=utf-8", "gzip", gz.Bytes()); code != 200 || body != "{}" {
		t.Errorf("gzip JSON: %d %s", code, body)
	}
	if code, body := post("application/x-protobuf", "", nil); code != 200 || body != "" {
		t.Errorf("empty protobuf export: %d %q", code, body)
	}
	if code, _ := post("application/json", "", []byte(`{"resourceSpans":[]}`)); code != 200 {
		t.Errorf("no spans: %d", code)
	}
	testenv.Eventually(t, 5*time.Second, "two spans stored", func() bool { return st.len() == 2 })
	// The rate (3 a second) is spent: the third and fourth spans are refused as a partial success.
	code, body := post("application/json", "", []byte(otlpJSON))
	code2, body2 := post("application/json", "", []byte(otlpJSON))
	if code != 200 || code2 != 200 || !strings.Contains(body+body2, `"rejectedSpans":"1"`) {
		t.Errorf("over the rate: %d %s / %d %s", code, body, code2, body2)
	}
	for _, tt := range []struct {
		ctype string
		body  string
		want  int
	}{
		{"text/plain", otlpJSON, 415},
		{"application/json", "{nope", 400},
		{"application/x-protobuf", "\xff\xff\xff", 400},
		{"application/json", strings.Repeat(" ", 5000) + "{}", 413},
	} {
		if code, body := post(tt.ctype, "", []byte(tt.body)); code != tt.want {
			t.Errorf("%s %.20q: %d %s, want %d", tt.ctype, tt.body, code, body, tt.want)
		} else if tt.ctype == "application/json" && !json.Valid([]byte(body)) {
			t.Errorf("error body is not JSON: %s", body)
		}
	}
}

// FuzzDatagram: whatever arrives on the daemon's port, the collector
// neither panics nor queues a document it cannot file, and what it files
// assembles. The seed corpus (the spec's datagrams) runs in go test.
func FuzzDatagram(f *testing.F) {
	for _, s := range []string{
		goHeader + `{"trace_id":"` + root + `","id":"ee0fec52cdc9824b","name":"work","start_time":1795978993.1493165,"end_time":1795978993.1493194,"parent_id":"53995c3f42cd8ad8","fault":true,"type":"subsegment","annotations":{"k":"v"},"subsegments":[{"id":"x","name":"inner","start_time":1,"end_time":2,"Dummy":false}],"Dummy":false}`,
		nodeHeader + `{"id":"0f1e2d3c4b5a6978","name":"DynamoDB","start_time":1795978993.15,"end_time":1795978993.16,"namespace":"aws","type":"subsegment","parent_id":"53995c3f42cd8ad8","trace_id":"` + root + `"}`,
		nodeHeader + `{"trace_id":"` + root + `","id":"a","name":"n","start_time":1.480615200010E9,"in_progress":true}`,
		nodeHeader + "T1SCgA=",
		nodeHeader + "T1U",
		"{}\n{}",
		"\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st := &memStore{}
		c := New(slog.New(slog.DiscardHandler), st, Options{Rate: 1 << 20, QueueSize: 1 << 10})
		c.Datagram(b)
		close(c.queue)
		var raws []json.RawMessage
		for d := range c.queue {
			if d.TraceID == "" || d.ID == "" || !json.Valid(d.Body) {
				t.Fatalf("queued a document it cannot file: %+v", d)
			}
			raws = append(raws, d.Body)
		}
		tr := trace.Assemble(root, raws)
		tr.Rows()
		if _, err := json.Marshal(tr); err != nil {
			t.Fatalf("assembled trace does not encode: %v", err)
		}
		trace.ExportXRay(tr)
		if _, err := json.Marshal(trace.ExportOTLP(tr)); err != nil {
			t.Fatalf("OTLP export does not encode: %v", err)
		}
	})
}
