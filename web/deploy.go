package web

// DeployRow is one deployment (gatescope's start, or a reload after a saved
// change) in the live list's deployments strip. deploys.js builds the same
// from live frames (deployView); web/testdata/deployments.json keeps the
// two alike.
type DeployRow struct {
	ID int64
	// Status is building, deployed, failed, partial or superseded; Label
	// names the deployment and StatusText says its status in words.
	Status     string
	Label      string
	StatusText string
	Time       string // local hh:mm:ss.mmm, rewritten by the script in the browser's zone
	TimeISO    string
	// What says what changed, and the files; Took how long it took.
	What string
	Took string
	// Errors are the template's error or each failed build's, with their
	// file:line.
	Errors []string
}
