-- The list's sorts and chips (store.List, store.Facets) at any size.
-- Sorted by duration, response size or function, a window is a range of
-- one of these indexes: each ends in the rowid (seq), the sort's
-- tie-break, so ORDER BY key, seq LIMIT n reads n entries, not every
-- exchange. Size is the stored body's length (a body cut at the store's
-- cap sorts as the cap).
CREATE INDEX exchanges_duration ON exchanges(duration_ms);
CREATE INDEX exchanges_size ON exchanges(ifnull(length(resp_body), 0));
CREATE INDEX exchanges_function ON exchanges(function);

-- The insertion order again, narrow: the table's rows hold kilobytes
-- (bodies, event, logs), so walking them to a deep offset, or counting
-- them up to a snapshot, reads most of the file; this index reads 16
-- bytes an exchange.
CREATE INDEX exchanges_seq ON exchanges(seq);

-- The chips' counts group by status class, outcome and replay, and the
-- API filter lists the API ids; this index covers both (per session, or
-- all), so they read it instead of the rows, whose bodies make them large.
CREATE INDEX exchanges_facets ON exchanges(session_id, outcome, status, replay_of, api_id);
