-- WebSocket API exchanges name their connection; the connection view reads
-- one connection's exchanges in order. Frames and the rest stay in meta.
ALTER TABLE exchanges ADD COLUMN connection_id TEXT NOT NULL DEFAULT '';
CREATE INDEX exchanges_connection ON exchanges(connection_id, seq) WHERE connection_id <> '';
