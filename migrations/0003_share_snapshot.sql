-- A share link shows a snapshot: the exchanges its session had when the
-- link was made, those with seq < before_seq (the next seq then), never
-- what is recorded afterwards. Links made before this migration were live
-- views; they are frozen here, so none shows more than it did.
ALTER TABLE shares ADD COLUMN before_seq INTEGER NOT NULL DEFAULT 0;
UPDATE shares SET before_seq = (SELECT coalesce(max(seq), 0) + 1 FROM exchanges);
