package diffusers

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// HubCacheDir returns the Hugging Face hub cache folder the way huggingface_hub finds it:
// $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
func HubCacheDir() string {
	for _, k := range []string{"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"} {
		if v := os.Getenv(k); v != "" {
			return expandHome(v)
		}
	}
	if v := os.Getenv("HF_HOME"); v != "" {
		return filepath.Join(expandHome(v), "hub")
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(expandHome(base), "huggingface", "hub")
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

var (
	repoIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$`)
	commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// HubSnapshot returns the snapshot folder of model repo repoID ("org/name") at revision
// (a branch or tag resolved through refs/, or a 40-hex commit; "" means "main") in the
// local cache. It never downloads: a missing snapshot gives an error wrapping ErrNotCached.
func HubSnapshot(repoID, revision string) (string, error) {
	if !repoIDPattern.MatchString(repoID) || strings.Contains(repoID, "--") || strings.Contains(repoID, "..") {
		return "", &Error{Path: repoID, Msg: "not a Hugging Face repo id (want org/name)"}
	}
	if revision == "" {
		revision = "main"
	}
	repoDir := filepath.Join(HubCacheDir(), "models--"+strings.ReplaceAll(repoID, "/", "--"))
	commit := revision
	if !commitPattern.MatchString(revision) {
		ref := filepath.Join(repoDir, "refs", filepath.FromSlash(revision))
		b, err := os.ReadFile(ref)
		if err != nil {
			return "", &Error{Path: ref, Msg: fmt.Sprintf("revision %q of %s not found (download it once, e.g. "+
				"`huggingface-cli download %s`, or set HF_HUB_CACHE/HF_HOME)", revision, repoID, repoID), Err: ErrNotCached}
		}
		commit = strings.TrimSpace(string(b))
	}
	snap := filepath.Join(repoDir, "snapshots", commit)
	if st, err := os.Stat(snap); err != nil || !st.IsDir() {
		return "", &Error{Path: snap, Msg: fmt.Sprintf("snapshot of %s at %s missing", repoID, revision), Err: ErrNotCached}
	}
	return snap, nil
}

// Resolve turns a model reference into a folder: an existing folder is returned as is;
// otherwise ref is read as a Hub repo id, optionally with "@revision"
// ("runwayml/stable-diffusion-v1-5@fp16"), and looked up with HubSnapshot.
func Resolve(ref string) (string, error) {
	if st, err := os.Stat(ref); err == nil {
		if !st.IsDir() {
			return "", &Error{Path: ref, Msg: "not a folder"}
		}
		return ref, nil
	}
	repo, rev, _ := strings.Cut(ref, "@")
	if !repoIDPattern.MatchString(repo) || strings.HasPrefix(ref, ".") {
		return "", &Error{Path: ref, Msg: "no such folder, and not a Hugging Face repo id"}
	}
	return HubSnapshot(repo, rev)
}
