package inception

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/tomebench/tomebench/internal/torchpth"
)

// The real weights: pytorch-fid's port of TensorFlow's 2015-12-05 Inception, as its
// fid_inception_v3 downloads them.
const (
	WeightsFile = "pt_inception-2015-12-05-6726825d.pth"
	WeightsURL  = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" + WeightsFile
	// WeightsSHA256 is the file's sha256. Its first 8 hex digits are the "6726825d" in
	// the name (torch.hub's convention: check_hash compares that prefix of the
	// sha256). The full value, with the size 95,628,359 bytes, is the one several
	// independent public records give for this file and for torch-fidelity's copy of it
	// (weights-inception-2015-12-05-6726825d.pth); it could not be recomputed here,
	// without network access.
	WeightsSHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
	// FormulaSpec, given as the weights path, selects FormulaWeights (tests only: its
	// features mean nothing).
	FormulaSpec = "formula:det"
)

// weightsURL is WeightsURL; tests point it at a local server.
var weightsURL = WeightsURL

// CacheDir is where tomebench keeps downloaded files: $TOMEBENCH_CACHE, else
// tomebench/ under the user cache directory (~/.cache/tomebench on Linux).
func CacheDir() (string, error) {
	if d := os.Getenv("TOMEBENCH_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "tomebench"), nil
}

// weightsCandidates lists where FindWeights looks: tomebench's cache, then torch.hub's
// checkpoint folder, where pytorch-fid itself saved the file ($TORCH_HOME, else
// $XDG_CACHE_HOME/torch, else ~/.cache/torch; then hub/checkpoints).
func weightsCandidates() []string {
	var out []string
	if d, err := CacheDir(); err == nil {
		out = append(out, filepath.Join(d, WeightsFile))
	}
	torch := os.Getenv("TORCH_HOME")
	if torch == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			if home, err := os.UserHomeDir(); err == nil {
				cache = filepath.Join(home, ".cache")
			}
		}
		if cache != "" {
			torch = filepath.Join(cache, "torch")
		}
	}
	if torch != "" {
		out = append(out, filepath.Join(torch, "hub", "checkpoints", WeightsFile))
	}
	return out
}

// A MissingWeightsError says that the weights file is not on this machine and could
// not be downloaded, and what to do about it.
type MissingWeightsError struct {
	Searched []string // paths looked at
	Dest     string   // where a download would have gone
	Err      error    // why the download failed (nil when none was tried)
}

func (e *MissingWeightsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "inception: the FID Inception weights %s are not on this machine", WeightsFile)
	fmt.Fprintf(&b, " (looked in %s)", strings.Join(e.Searched, ", "))
	if e.Err != nil {
		fmt.Fprintf(&b, ", and downloading them failed: %v", e.Err)
	}
	fmt.Fprintf(&b, ".\nTo fix: on a machine with network access, download\n\t%s\n(sha256 %s), copy it to\n\t%s\nor pass its path with --weights PATH.", WeightsURL, WeightsSHA256, e.Dest)
	return b.String()
}

func (e *MissingWeightsError) Unwrap() error { return e.Err }

// FindWeights returns the path of the weights file if it is in one of the places
// tomebench and pytorch-fid download it to, else a *MissingWeightsError.
func FindWeights() (string, error) {
	c := weightsCandidates()
	for _, p := range c {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	dest := ""
	if len(c) > 0 {
		dest = c[0]
	}
	return "", &MissingWeightsError{Searched: c, Dest: dest}
}

// EnsureWeights is FindWeights, and when the file is missing downloads it to the
// cache (Download). Offline, the *MissingWeightsError says what to do.
func EnsureWeights(ctx context.Context, progress io.Writer) (string, error) {
	p, err := FindWeights()
	if err == nil {
		return p, nil
	}
	var miss *MissingWeightsError
	if !errors.As(err, &miss) || miss.Dest == "" {
		return "", err
	}
	if err := Download(ctx, weightsURL, miss.Dest, WeightsSHA256, progress); err != nil {
		miss.Err = err
		return "", miss
	}
	return miss.Dest, nil
}

// Download fetches url to dest, checking that the content's sha256 is wantSHA256.
// It writes to a temporary file beside dest and renames it into place, so dest is
// either absent or complete and verified.
func Download(ctx context.Context, url, dest, wantSHA256 string, progress io.Writer) (err error) {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), filepath.Base(dest)+".part-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	var w io.Writer = io.MultiWriter(tmp, h)
	if progress != nil {
		w = io.MultiWriter(w, progressbar.NewOptions64(resp.ContentLength, progressbar.OptionSetWriter(progress),
			progressbar.OptionShowBytes(true), progressbar.OptionSetDescription("downloading "+filepath.Base(dest)),
			progressbar.OptionClearOnFinish()))
	}
	if _, err = io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA256 {
		return fmt.Errorf("GET %s: sha256 %s, want %s (corrupt or different file; nothing was saved)", url, got, wantSHA256)
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}

// LoadWeights returns the state_dict named by spec: a .pth path, FormulaSpec for the
// test weights, or "" for the real weights found or downloaded by EnsureWeights.
func LoadWeights(ctx context.Context, spec string, progress io.Writer) (*torchpth.StateDict, error) {
	if spec == FormulaSpec {
		return FormulaWeights(), nil
	}
	if spec == "" {
		p, err := EnsureWeights(ctx, progress)
		if err != nil {
			return nil, err
		}
		spec = p
	}
	return torchpth.Load(spec)
}
