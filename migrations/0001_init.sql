-- Sessions group exchanges (one debug session, one import, ...).
CREATE TABLE sessions (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL, -- unix nanoseconds
	note       TEXT NOT NULL DEFAULT ''
);

-- seq is the rowid: insertion order, never reused (AUTOINCREMENT), so cursors
-- stay stable while the writer keeps inserting and after prunes. id is the
-- public, time-sortable key (ULID-like).
CREATE TABLE exchanges (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	id           TEXT NOT NULL UNIQUE,
	session_id   TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	started_at   INTEGER NOT NULL, -- unix nanoseconds
	duration_ms  REAL NOT NULL DEFAULT 0,
	method       TEXT NOT NULL DEFAULT '',
	url          TEXT NOT NULL DEFAULT '',
	path         TEXT NOT NULL DEFAULT '',
	route_key    TEXT NOT NULL DEFAULT '',
	status       INTEGER NOT NULL DEFAULT 0,
	outcome      TEXT NOT NULL DEFAULT '',
	function     TEXT NOT NULL DEFAULT '',
	api_id       TEXT NOT NULL DEFAULT '',
	replay_of    TEXT NOT NULL DEFAULT '',
	-- Bodies: raw bytes when *_raw = 1 (decoded base64, re-encoded on read),
	-- else the body string as received.
	req_body     BLOB,
	req_raw      INTEGER NOT NULL DEFAULT 0,
	resp_body    BLOB,
	resp_raw     INTEGER NOT NULL DEFAULT 0,
	event        BLOB,
	raw_response BLOB,
	logs         TEXT NOT NULL DEFAULT '',
	-- The rest of the record (headers, timings, error, ...) as JSON.
	meta         TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX exchanges_session_seq ON exchanges(session_id, seq);
CREATE INDEX exchanges_started_at ON exchanges(started_at);
CREATE INDEX exchanges_replay_of ON exchanges(replay_of) WHERE replay_of <> '';

-- Full-text search over the text parts of an exchange. Contentless (the
-- indexer writes the text it wants indexed: no base64 bodies) with
-- contentless_delete so rows can be removed by rowid when exchanges go.
-- Trigram: substring search, case-insensitive, queries of 3+ characters.
CREATE VIRTUAL TABLE exchanges_fts USING fts5(
	method, path, route_key, status, outcome, req_body, resp_body, logs,
	content = '',
	contentless_delete = 1,
	tokenize = 'trigram'
);

-- Indexing is deferred: trigram tokenizing costs ~4x the insert itself, so
-- the store indexes committed rows in the background, and searches scan the
-- rows above indexed_seq with LIKE. Exchanges with seq <= indexed_seq are in
-- exchanges_fts.
CREATE TABLE fts_state (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	indexed_seq INTEGER NOT NULL
);
INSERT INTO fts_state (id, indexed_seq) VALUES (1, 0);

CREATE TRIGGER exchanges_fts_delete AFTER DELETE ON exchanges
WHEN old.seq <= (SELECT indexed_seq FROM fts_state) BEGIN
	DELETE FROM exchanges_fts WHERE rowid = old.seq;
END;

-- Exchange counts per session, route and outcome, kept by triggers, so the
-- session and route menus and the totals of Stats read a handful of rows
-- instead of counting every exchange (60 ms at 100k exchanges).
CREATE TABLE route_counts (
	session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	route_key  TEXT NOT NULL,
	outcome    TEXT NOT NULL,
	n          INTEGER NOT NULL,
	PRIMARY KEY (session_id, route_key, outcome)
) WITHOUT ROWID;

CREATE TRIGGER exchanges_count_insert AFTER INSERT ON exchanges BEGIN
	INSERT INTO route_counts (session_id, route_key, outcome, n) VALUES (new.session_id, new.route_key, new.outcome, 1)
	ON CONFLICT (session_id, route_key, outcome) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER exchanges_count_delete AFTER DELETE ON exchanges BEGIN
	UPDATE route_counts SET n = n - 1
	WHERE session_id = old.session_id AND route_key = old.route_key AND outcome = old.outcome;
END;
