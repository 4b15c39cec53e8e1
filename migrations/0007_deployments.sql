-- Deployments: gatescope's start and each reload after a saved change
-- (exchange.Deployment). id is the number the dashboard, the log and
-- replay's diff name ("deployment 14"): never reused, so it names one
-- deployment across restarts. doc holds the rest as JSON (what changed,
-- each function's build and error).
CREATE TABLE deployments (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	started_at INTEGER NOT NULL, -- unix nanoseconds
	status     TEXT NOT NULL,
	doc        TEXT NOT NULL DEFAULT '{}'
);

-- The deployment that served an exchange (0: not recorded).
ALTER TABLE exchanges ADD COLUMN deployment INTEGER NOT NULL DEFAULT 0;
