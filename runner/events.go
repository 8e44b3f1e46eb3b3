package runner

// An EventKind says what an Event reports.
type EventKind string

// The events a run reports, in the order they happen for each variant.
const (
	EventModel    EventKind = "model"    // the model is resolved (Msg: its folder)
	EventVariant  EventKind = "variant"  // a variant starts (Total: its pending images in this shard)
	EventPrepared EventKind = "prepared" // its UNets are ready (Seconds: preparation time)
	EventImages   EventKind = "images"   // a batch is written (Done/Total: images of the variant)
	EventSkipped  EventKind = "skipped"  // a variant has nothing left to do in this shard
	EventMetrics  EventKind = "metrics"  // computing metrics (Msg: what)
	EventWarning  EventKind = "warning"  // something the user should know (Msg)
)

// An Event is a progress report from a run. A child process writes its events as JSON
// lines on stdout, and the parent hands them on to Options.Events.
type Event struct {
	Kind    EventKind `json:"kind"`
	Variant string    `json:"variant,omitempty"` // variant ID
	Label   string    `json:"label,omitempty"`
	Done    int       `json:"done,omitempty"`
	Total   int       `json:"total,omitempty"`
	Seconds float64   `json:"seconds,omitempty"`
	Msg     string    `json:"msg,omitempty"`
}
