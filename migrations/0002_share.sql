-- Read-only share links. Only the SHA-256 of a token is stored: a copy of
-- the database never reveals a live link. Rows go with their session.
CREATE TABLE shares (
	hash       BLOB PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL, -- unix nanoseconds
	expires_at INTEGER NOT NULL  -- unix nanoseconds
);
CREATE INDEX shares_session ON shares(session_id);

-- Stars and notes on exchanges live beside them, not in exchanges.meta, so
-- annotating never rewrites a (possibly large) exchange row. They go with
-- their exchange (prune, session delete) by cascade.
CREATE TABLE exchange_stars (
	exchange_id TEXT PRIMARY KEY REFERENCES exchanges(id) ON DELETE CASCADE,
	created_at  INTEGER NOT NULL
);

CREATE TABLE exchange_notes (
	exchange_id TEXT PRIMARY KEY REFERENCES exchanges(id) ON DELETE CASCADE,
	note        TEXT NOT NULL,
	updated_at  INTEGER NOT NULL
);
