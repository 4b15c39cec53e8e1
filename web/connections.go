package web

import (
	"strconv"
	"time"
)

// ConnectionsView is the WebSocket connections page: the open connections
// and the latest ones to have opened (open or not).
type ConnectionsView struct {
	Open   []ConnRow
	Recent []ConnRow
	Error  string
}

// ConnRow is one connection in a list. connections.js renders the same
// markup from /api/connections.
type ConnRow struct {
	ID      string
	Href    string
	API     string // "Chat production"
	Source  string // IP and user agent
	Since   string // shown; re-formatted to local time by JS
	SinceTS string // RFC 3339, for <time datetime> and the age JS counts
	Age     string
	In, Out int64
	Open    bool
}

// ConnectionView is one connection's page: what it is, its life as frames
// in and out, and the boxes to send it a message as its client or post to
// it as the server.
type ConnectionView struct {
	ID        string
	Open      bool
	API       string
	Source    string
	Since     string
	SinceTS   string
	In, Out   int64
	Frames    []FrameRow
	Closed    string // how it ended, once it has
	Cursor    string // the newest exchange shown: the live feed continues after it
	Truncated bool   // only the newest exchanges are shown
	Error     string
}

// FrameRow is one frame of a connection's timeline, in the column of its
// direction: in (client to API) or out (API to client). Connect and close
// rows mark the connection's ends. connections.js builds the same rows
// (framesOf) from the exchanges the live feed announces.
type FrameRow struct {
	Dir     string `json:"dir"`  // in, out
	Kind    string `json:"kind"` // text, connect, refused, close
	Data    string `json:"data"`
	Label   string `json:"label"` // route key, @connections call, close code
	Size    string `json:"size"`
	Href    string `json:"href"` // the exchange
	Failed  bool   `json:"failed"`
	Time    string `json:"-"`
	TimeISO string `json:"at"`
	// Ms is the time in Unix milliseconds: rows are in time order (a post
	// a function makes is stored before the message that made it), and
	// connections.js places live rows by it.
	Ms int64 `json:"-"`
}

// FormatAge is how long a connection has been open: "45 s", "3 min 4 s",
// "2 h 5 min". connections.js's formatAge says the same.
func FormatAge(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return strconv.FormatInt(max(s, 0), 10) + " s"
	case s < 3600:
		return strconv.FormatInt(s/60, 10) + " min " + strconv.FormatInt(s%60, 10) + " s"
	default:
		return strconv.FormatInt(s/3600, 10) + " h " + strconv.FormatInt(s%3600/60, 10) + " min"
	}
}
