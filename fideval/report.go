package fideval

// A Report is the outcome of Compare, and the --json output of `tomebench fid` (the
// JSON names are a contract: scripts read them).
//
//	FID = MeanTerm + Trace1 + Trace2 − 2·TrSqrt
type Report struct {
	FID      float64         `json:"fid"`
	Method   string          `json:"method"` // fid.Method's name: "exact" or "pytorch-fid"
	Dims     int             `json:"dims"`
	Inputs   []Input         `json:"inputs"`
	MeanTerm float64         `json:"mean_term"` // ‖μ1−μ2‖²
	Trace1   float64         `json:"trace1"`    // tr Σ1
	Trace2   float64         `json:"trace2"`    // tr Σ2
	TrSqrt   float64         `json:"tr_sqrt"`   // tr√(Σ1Σ2)
	KID      *KIDReport      `json:"kid,omitempty"`
	Interval *IntervalReport `json:"interval,omitempty"`
	FIDInf   *FIDInfReport   `json:"fid_inf,omitempty"`
	// Warnings are statistical trouble worth telling the user (singular covariances,
	// capped KID subsets), never nil.
	Warnings []string `json:"warnings"`
}

// An Input describes one compared Set.
type Input struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`             // KindImages or KindStatistics
	Images int    `json:"images,omitempty"` // number of images (0 for a statistics file)
}

// A KIDReport is the Kernel Inception Distance (fid.KID): mean and standard deviation
// over Subsets subsets of SubsetSize images per set.
type KIDReport struct {
	Mean       float64 `json:"mean"`
	Std        float64 `json:"std"`
	Subsets    int     `json:"subsets"`
	SubsetSize int     `json:"subset_size"`
}

// An IntervalReport summarises FIDs over Reps subsamples of Size images per set
// (fid.SubsampleInterval); [Lo, Hi] is the empirical Level range.
type IntervalReport struct {
	Size  int     `json:"size"`
	Reps  int     `json:"reps"`
	Mean  float64 `json:"mean"`
	Std   float64 `json:"std"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Level float64 `json:"level"`
}

// A FIDInfReport is the 1/N extrapolation of FID (fid.FIDInfinity):
// FIDs[i] = FID over Sizes[i] images of the first set, fitted by FIDInf + Slope/N.
type FIDInfReport struct {
	FIDInf float64   `json:"fid_inf"`
	Slope  float64   `json:"slope"`
	R2     float64   `json:"r2"`
	Sizes  []int     `json:"sizes"`
	FIDs   []float64 `json:"fids"`
}
