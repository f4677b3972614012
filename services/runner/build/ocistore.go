package build

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/services/runner/engine"
)

// OCI media types of the layouts written here (the layers of a save are
// uncompressed tars, and stay so: BuildKit reads them as they are).
const (
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar"
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
)

// bases turns engine images into OCI layout content stores BuildKit reads
// base images from (SolveOpt.OCIStores): BuildKit cannot read the engine's
// image store, and the platform has no registry to pull from, so each
// image the judge pinned is exported (ImageSave) and laid out once per
// image id under dir, which is bounded to max bytes (least recently used
// layouts go first). An image id names its content, so a layout is never
// stale.
type bases struct {
	docker *client.Client
	dir    string
	max    int64

	mu    sync.Mutex
	locks map[string]*sync.Mutex // per image id: one export at a time
	inUse map[string]int         // layouts builds are reading: never trimmed
}

func newBases(docker *client.Client, dir string, max int64) *bases {
	return &bases{docker: docker, dir: dir, max: max, locks: map[string]*sync.Mutex{}, inUse: map[string]int{}}
}

// baseStore is one image's layout.
type baseStore struct {
	ID       string // the store's name in SolveOpt.OCIStores
	Manifest string // the manifest's digest, "sha256:…"
	Store    content.Store
}

// store returns the layout of the engine image id ("sha256:…"), exporting
// it on first use; it is kept until release is called (the build ended).
func (b *bases) store(ctx context.Context, id string) (st baseStore, release func(), err error) {
	hexID := strings.TrimPrefix(id, "sha256:")
	b.mu.Lock()
	b.inUse[hexID]++
	b.mu.Unlock()
	release = func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.inUse[hexID]--; b.inUse[hexID] <= 0 {
			delete(b.inUse, hexID)
		}
	}
	st, err = b.open(ctx, id)
	if err != nil {
		release()
		return baseStore{}, nil, err
	}
	return st, release, nil
}

func (b *bases) open(ctx context.Context, id string) (baseStore, error) {
	hexID, ok := strings.CutPrefix(id, "sha256:")
	if !ok || len(hexID) != 64 || strings.Trim(hexID, "0123456789abcdef") != "" {
		return baseStore{}, fmt.Errorf("image id %q is not a sha256 digest", id)
	}
	b.mu.Lock()
	l := b.locks[hexID]
	if l == nil {
		l = &sync.Mutex{}
		b.locks[hexID] = l
	}
	b.mu.Unlock()
	l.Lock()
	defer l.Unlock()

	dir := filepath.Join(b.dir, hexID)
	manifest, err := os.ReadFile(filepath.Join(dir, "manifest-digest"))
	if err != nil {
		if err := b.export(ctx, id, dir); err != nil {
			return baseStore{}, err
		}
		if manifest, err = os.ReadFile(filepath.Join(dir, "manifest-digest")); err != nil {
			return baseStore{}, err
		}
		b.trim()
	}
	now := time.Now()
	_ = os.Chtimes(dir, now, now) // recently used: trimmed last
	cs, err := local.NewStore(dir)
	if err != nil {
		return baseStore{}, err
	}
	return baseStore{ID: "base-" + hexID[:20], Manifest: string(manifest), Store: cs}, nil
}

// export saves the image from the engine and writes its layout to dir
// (through a temporary directory renamed at the end: a crash leaves no half
// layout under the final name).
func (b *bases) export(ctx context.Context, id, dir string) error {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(b.dir, ".export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rc, err := b.docker.ImageSave(ctx, []string{id})
	if err != nil {
		return engine.FromDocker("export base image "+id, err)
	}
	defer rc.Close()
	digest, err := saveToLayout(rc, id, tmp)
	if err != nil {
		return fmt.Errorf("export base image %s: %w", id, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "manifest-digest"), []byte(digest), 0o600); err != nil {
		return err
	}
	_ = os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// saveToLayout reads an engine save (docker save: manifest.json, the config
// <id>.json, one uncompressed layer.tar per layer) and writes an OCI layout
// to dir: every blob by digest, an OCI manifest and an index naming it. It
// returns the manifest's digest. Only the image wanted is taken.
func saveToLayout(r io.Reader, id, dir string) (string, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o700); err != nil {
		return "", err
	}
	type desc struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int64  `json:"size"`
	}
	files := map[string]desc{} // member name -> its blob
	var saveManifest []struct {
		Config string
		Layers []string
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		if h.Typeflag != tar.TypeReg {
			continue // directories, and the links newer saves use for shared layers
		}
		name := path.Clean(h.Name)
		if name == "manifest.json" {
			if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&saveManifest); err != nil {
				return "", fmt.Errorf("manifest.json: %w", err)
			}
			continue
		}
		d, n, err := writeBlob(blobs, tr)
		if err != nil {
			return "", err
		}
		files[name] = desc{Digest: d, Size: n}
	}
	for _, m := range saveManifest {
		cfg, ok := files[path.Clean(m.Config)]
		if !ok || cfg.Digest != id {
			continue
		}
		cfg.MediaType = mediaConfig
		man := struct {
			SchemaVersion int    `json:"schemaVersion"`
			MediaType     string `json:"mediaType"`
			Config        desc   `json:"config"`
			Layers        []desc `json:"layers"`
		}{SchemaVersion: 2, MediaType: mediaManifest, Config: cfg, Layers: []desc{}}
		for _, l := range m.Layers {
			d, ok := files[path.Clean(l)]
			if !ok {
				return "", fmt.Errorf("layer %s is not in the save", l)
			}
			d.MediaType = mediaLayer
			man.Layers = append(man.Layers, d)
		}
		raw, err := json.Marshal(man)
		if err != nil {
			return "", err
		}
		md, n, err := writeBlob(blobs, strings.NewReader(string(raw)))
		if err != nil {
			return "", err
		}
		index, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mediaIndex,
			"manifests": []desc{{MediaType: mediaManifest, Digest: md, Size: n}}})
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, "index.json"), index, 0o600); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o600); err != nil {
			return "", err
		}
		return md, nil
	}
	return "", fmt.Errorf("the save holds no image %s", id)
}

// writeBlob stores r under its sha256 in blobs.
func writeBlob(blobs string, r io.Reader) (string, int64, error) {
	f, err := os.CreateTemp(blobs, ".blob-")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := os.Rename(f.Name(), filepath.Join(blobs, sum)); err != nil {
		return "", 0, err
	}
	return "sha256:" + sum, n, nil
}

// trim removes the least recently used layouts until the cache fits max,
// never one a build is reading (the one just made included).
func (b *bases) trim() {
	ents, err := os.ReadDir(b.dir)
	if err != nil {
		return
	}
	type layout struct {
		name string
		used time.Time
		size int64
	}
	var all []layout
	var total int64
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		l := layout{name: e.Name(), used: info.ModTime(), size: dirSize(filepath.Join(b.dir, e.Name()))}
		total += l.size
		all = append(all, l)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].used.Before(all[j].used) })
	for _, l := range all {
		if total <= b.max {
			return
		}
		b.mu.Lock()
		busy := b.inUse[l.name] > 0
		if !busy {
			// Under mu: no build takes it between the check and the removal
			// (store counts it in use before it opens it).
			if os.RemoveAll(filepath.Join(b.dir, l.name)) == nil {
				total -= l.size
			}
		}
		b.mu.Unlock()
	}
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
