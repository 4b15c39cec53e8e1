// Package migrations holds gatescope's SQLite schema as numbered SQL files
// (NNNN_name.sql), applied in order by the store. Never edit a released file:
// add a new one.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
