package web

// The generated *_templ.go files are committed so `go run` needs no tools.
// Regenerate from the repository root with `go generate ./web` (or
// `go tool templ generate -path web`; CI checks they are current).
//go:generate go tool templ generate -path .
