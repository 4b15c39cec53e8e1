package exchange

import (
	"errors"
	"time"
)

// ErrConnectionGone is what sending to a WebSocket connection that is not
// open returns (the @connections API's GoneException).
var ErrConnectionGone = errors.New("no open WebSocket connection has this id")

// WebSocket APIs: every $connect, message, @connections call and
// $disconnect is an Exchange that names its connection (ConnectionID) and
// lists the frames it carried (Frames), from which a connection's timeline
// and a HAR's _webSocketMessages are built.

// WebSocketAPI is APIRef.Type of a WebSocket API's exchanges, in lower case
// as DESIGN.md's contract writes it.
const WebSocketAPI = "websocket"

// Frame directions, from the API's side as AWS's messageDirection says:
// in is client → API, out is API → client.
const (
	FrameIn  = "in"
	FrameOut = "out"
)

// Frame opcodes (RFC 6455).
const (
	OpText  = 1
	OpClose = 8
)

// Frame is one WebSocket frame an exchange carried.
type Frame struct {
	Dir    string    `json:"dir"`
	At     time.Time `json:"at"`
	Opcode int       `json:"opcode"`
	// Data is a text frame's payload, or a close frame's reason.
	Data string `json:"data"`
	// Code is a close frame's status code.
	Code int `json:"code,omitempty"`
	// Truncated is the original size when the store kept only the start
	// of Data; 0 otherwise.
	Truncated int `json:"truncated,omitempty"`
}

// Connection is an open WebSocket connection as the dashboard lists it.
type Connection struct {
	ID           string    `json:"id"`
	API          APIRef    `json:"api"`
	ConnectedAt  time.Time `json:"connectedAt"`
	LastActiveAt time.Time `json:"lastActiveAt"`
	SourceIP     string    `json:"sourceIp"`
	UserAgent    string    `json:"userAgent"`
	// In and Out count the text frames received from and sent to the
	// client.
	In  int64 `json:"in"`
	Out int64 `json:"out"`
	// ConnectExchange is the id of the $connect exchange.
	ConnectExchange string `json:"connectExchange"`
}
