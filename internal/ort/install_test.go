package ort

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeNpm puts an `npm` on PATH whose `pack` copies tgz into the current
// folder, as npm pack does with the registry's tarball.
func fakeNpm(t *testing.T, tgz []byte) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "pkg-1.0.0.tgz.src")
	if err := os.WriteFile(src, tgz, 0o644); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n[ \"$1\" = pack ] || exit 3\ncp '" + src + "' ./pkg-1.0.0.tgz\n"
	if err := os.WriteFile(filepath.Join(dir, "npm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// makeTgz returns a gzipped tar holding the given files, in order.
func makeTgz(t *testing.T, files [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestInstallPin runs the install steps against a fake npm: the library is
// taken from the tarball only when both checksums match, and nothing is left
// in the cache folder otherwise.
func TestInstallPin(t *testing.T) {
	const member = "package/bin/lib.so"
	lib := "the library bytes"
	tgz := makeTgz(t, [][2]string{{"package/package.json", "{}"}, {member, lib}, {"package/README", "r"}})
	good := pin{spec: "pkg@1.0.0", tarballSHA: sha(tgz), member: member, libSHA: sha([]byte(lib))}
	cases := []struct {
		name    string
		p       pin
		wantErr error  // nil: success
		errText string // must appear in the error
	}{
		{"both checksums match", good, nil, ""},
		{"tarball checksum differs", pin{good.spec, sha([]byte("other")), member, good.libSHA}, ErrChecksum, filepath.Base("pkg-1.0.0.tgz")},
		{"library checksum differs", pin{good.spec, good.tarballSHA, member, sha([]byte("other"))}, ErrChecksum, member},
		{"member missing", pin{good.spec, good.tarballSHA, "package/bin/none.so", good.libSHA}, nil, "no file package/bin/none.so"},
	}
	fakeNpm(t, tgz)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "cache", "lib.so")
			var log strings.Builder
			got, err := installPin(context.Background(), &log, c.p, dst)
			if c.errText == "" && c.wantErr == nil {
				if err != nil {
					t.Fatalf("installPin: %v (log %q)", err, log.String())
				}
				b, rerr := os.ReadFile(got)
				if rerr != nil || string(b) != lib || got != dst {
					t.Fatalf("installed %q = %q, %v; want %q with %q", got, b, rerr, dst, lib)
				}
				// A second call keeps the verified file without npm.
				t.Setenv("PATH", "")
				if _, err := installPin(context.Background(), &log, c.p, dst); err != nil {
					t.Fatalf("reinstall: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("installPin succeeded, want an error")
			}
			if c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Errorf("error %v is not %v", err, c.wantErr)
			}
			if !strings.Contains(err.Error(), c.errText) {
				t.Errorf("error %q does not mention %q", err, c.errText)
			}
			left, _ := os.ReadDir(filepath.Dir(dst))
			if len(left) != 0 {
				t.Errorf("failed install left %v in the cache folder", left)
			}
		})
	}
}

// TestInstallReal installs the pinned library with the real npm into a
// temporary cache. It needs the npm registry, so it runs only when
// TOMEBENCH_TEST_INSTALL=1.
func TestInstallReal(t *testing.T) {
	if os.Getenv("TOMEBENCH_TEST_INSTALL") != "1" {
		t.Skip("set TOMEBENCH_TEST_INSTALL=1 to download onnxruntime-node with npm pack (needs the npm registry)")
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	var log strings.Builder
	p, err := Install(context.Background(), &log)
	if err != nil {
		t.Fatalf("Install: %v\n%s", err, log.String())
	}
	if sum, err := fileSHA256(p); err != nil || sum != ortPin.libSHA {
		t.Fatalf("installed %s has sha256 %s, %v", p, sum, err)
	}
	t.Log(log.String())
}
