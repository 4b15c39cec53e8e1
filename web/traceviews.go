package web

// TraceView is an exchange's trace as the inspector draws it: one nested
// waterfall on a time axis, gatescope's segments and the function's own.
type TraceView struct {
	TraceID string
	Total   string // the axis's length
	Ticks   []AxisTick
	Rows    []TraceRow
	// Timeout marks the function's timeout on the axis (Left in percent);
	// TimeoutNote says where it is when it is off the axis.
	Timeout     *Marker
	TimeoutNote string
	LogTicks    []LogTick
	LogTicksCut int // log lines not drawn (past the limit)
	Notes       []string
	XRayURL     string // the trace as X-Ray documents
	OTLPURL     string // the trace as OTLP JSON
	JSONURL     string // the trace as the API serves it
	Received    int    // documents the functions sent
}

// AxisTick is one label of the time axis.
type AxisTick struct {
	Left  float64
	Label string
}

// Marker is a point on the axis.
type Marker struct {
	Left  float64
	Label string
}

// LogTick is a log line at the time it was written.
type LogTick struct {
	Left float64
	At   string // offset from the start, formatted
	Text string
	Kind string // "err" or ""
}

// TraceRow is one segment or subsegment of the waterfall.
type TraceRow struct {
	Name   string
	Kind   string // origin, namespace or "subsegment"
	Source string // "gatescope", "X-Ray SDK", "OpenTelemetry"
	Depth  int
	// Status is ok, error, fault, throttle, or pending (in progress).
	Status      string
	Left, Width float64 // percent of the axis
	Start, Took string
	Details     []Detail
	Exceptions  []TraceException
	Annotations []Header
	Metadata    string // pretty JSON, cut
	SQL         string
	HTTP        string
}

// Detail is one line of a row's details.
type Detail struct {
	Label, Value string
}

// TraceException is one exception of a segment's cause.
type TraceException struct {
	Type, Message string
	Remote        bool
	Stack         []string
}
