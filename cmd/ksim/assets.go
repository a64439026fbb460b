package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	"ksim.dev/ksim/reports"
)

// The ECharts build that reports inline. It is never part of the repository: ksim takes it from
// a path the user gives, or fetches the published npm package once and keeps it in the user's
// cache, after checking it against the registry's integrity hash pinned here.
const (
	echartsVersion   = reports.EChartsVersion
	echartsTarball   = "https://registry.npmjs.org/echarts/-/echarts-" + echartsVersion + ".tgz"
	echartsIntegrity = "sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA=="
	echartsInTarball = "package/dist/echarts.min.js"
)

// echartsJS returns the ECharts library: from path, else $KSIM_ECHARTS_JS (reports.LoadECharts),
// else the cache, filling the cache from the npm registry when it is empty.
func echartsJS(path string, stderr io.Writer) ([]byte, error) {
	b, err := reports.LoadECharts(path)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, reports.ErrNoECharts) {
		return nil, badInput(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	cached := filepath.Join(cache, "ksim", "echarts-"+echartsVersion+".min.js")
	if b, err := os.ReadFile(cached); err == nil {
		return b, nil
	}
	fmt.Fprintf(stderr, "ksim: fetching echarts %s from the npm registry for the report (once; cached in %s)\n", echartsVersion, filepath.Dir(cached))
	b, err = fetchECharts()
	if err != nil {
		return nil, fmt.Errorf("%w\n  the report inlines ECharts; give it with --echarts PATH or %s=PATH (e.g. from `npm pack echarts@%s`), or use --cdn", err, reports.EChartsEnv, echartsVersion)
	}
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err == nil {
		tmp := cached + ".tmp"
		if os.WriteFile(tmp, b, 0o644) == nil {
			os.Rename(tmp, cached)
		}
	}
	return b, nil
}

// fetchECharts downloads the npm tarball, checks its integrity and extracts the minified build.
func fetchECharts() ([]byte, error) {
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Get(echartsTarball)
	if err != nil {
		return nil, fmt.Errorf("fetching ECharts: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching ECharts: %s: %s", echartsTarball, resp.Status)
	}
	tgz, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("fetching ECharts: %w", err)
	}
	return extractECharts(tgz)
}

// extractECharts checks an npm tarball against echartsIntegrity and returns its
// dist/echarts.min.js.
func extractECharts(tgz []byte) ([]byte, error) {
	sum := sha512.Sum512(tgz)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != echartsIntegrity {
		return nil, fmt.Errorf("ECharts tarball integrity mismatch: got %s, want %s", got, echartsIntegrity)
	}
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("ECharts tarball has no %s", echartsInTarball)
		}
		if err != nil {
			return nil, err
		}
		if h.Name == echartsInTarball {
			return io.ReadAll(io.LimitReader(tr, 32<<20))
		}
	}
}

// pageFlags are the flags of a command that writes pages: where ECharts comes from.
type pageFlags struct {
	echarts string // path to echarts.min.js
	cdn     bool   // load it from a CDN instead
}

// add defines --echarts and --cdn, for pages named as in "the report".
func (p *pageFlags) add(f *pflag.FlagSet, pages string) {
	f.StringVar(&p.echarts, "echarts", "", "path to echarts.min.js to inline in "+pages)
	f.BoolVar(&p.cdn, "cdn", false, "let "+pages+" load ECharts from a CDN instead of inlining it")
}

// script returns the ECharts script to inline (echartsJS), or nil with --cdn.
func (p pageFlags) script(stderr io.Writer) ([]byte, error) {
	if p.cdn {
		return nil, nil
	}
	return echartsJS(p.echarts, stderr)
}
