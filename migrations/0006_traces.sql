-- X-Ray traces. gatescope's own segments of an exchange (API Gateway's
-- stage, Lambda's service and function) are written with it, in one row;
-- they go with their exchange by cascade. trace_id is X-Ray's ("1-…"),
-- which the documents functions send are filed by.
CREATE TABLE exchange_traces (
	exchange_id TEXT PRIMARY KEY REFERENCES exchanges(id) ON DELETE CASCADE,
	trace_id    TEXT NOT NULL,
	segments    BLOB NOT NULL,            -- JSON array of segment documents
	log_times   BLOB NOT NULL DEFAULT '[]' -- JSON [[byte offset in logs, unix µs], …]
);
CREATE INDEX exchange_traces_trace ON exchange_traces(trace_id);

-- Documents functions sent: X-Ray segments and subsegments (the daemon's
-- UDP) and OTLP spans made documents. One row holds what one batch of the
-- writer had of one trace (a JSON array, in arrival order): a trace's
-- documents mostly arrive together, and a row per document made ingest
-- cost more than the requests it traced. A complete document wins over an
-- in-progress one with the same id when the trace is read. Rows are pruned
-- when no exchange has their trace any more (and after a while when none
-- ever had).
CREATE TABLE trace_segments (
	seq         INTEGER PRIMARY KEY,
	trace_id    TEXT NOT NULL,
	received_at INTEGER NOT NULL, -- unix nanoseconds
	n           INTEGER NOT NULL, -- documents in docs
	docs        BLOB NOT NULL     -- JSON array of documents
);
CREATE INDEX trace_segments_trace ON trace_segments(trace_id);
CREATE INDEX trace_segments_received ON trace_segments(received_at);

-- The downstream services (AWS services, HTTP hosts, databases) a trace
-- called, so the live list can show the exchanges that reached one.
CREATE TABLE trace_nodes (
	trace_id TEXT NOT NULL,
	node     TEXT NOT NULL,
	PRIMARY KEY (node, trace_id)
) WITHOUT ROWID;
CREATE INDEX trace_nodes_trace ON trace_nodes(trace_id);
