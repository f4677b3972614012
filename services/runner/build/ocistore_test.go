package build

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSaveToLayout: an engine save becomes an OCI layout holding the image
// asked for: config and layers as blobs by digest, an OCI manifest naming
// them (uncompressed layers), an index naming the manifest; a save without
// that image is an error.
func TestSaveToLayout(t *testing.T) {
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	sum := sha256.Sum256(config)
	id := "sha256:" + hex.EncodeToString(sum[:])
	layer := []byte(strings.Repeat("layer bytes ", 100))
	save := func(manifest string) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for name, body := range map[string][]byte{
			hex.EncodeToString(sum[:]) + ".json": config,
			"0123/layer.tar":                     layer,
			"manifest.json":                      []byte(manifest),
		} {
			_ = tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
			_, _ = tw.Write(body)
		}
		_ = tw.Close()
		return buf.Bytes()
	}
	good := `[{"Config":"` + hex.EncodeToString(sum[:]) + `.json","RepoTags":null,"Layers":["0123/layer.tar"]}]`
	dir := t.TempDir()
	md, err := saveToLayout(bytes.NewReader(save(good)), id, dir)
	if err != nil {
		t.Fatal(err)
	}
	blob := func(d string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:")))
		if err != nil {
			t.Fatalf("blob %s: %v", d, err)
		}
		return b
	}
	var man struct {
		MediaType string
		Config    struct{ Digest, MediaType string }
		Layers    []struct {
			Digest, MediaType string
			Size              int64
		}
	}
	if err := json.Unmarshal(blob(md), &man); err != nil {
		t.Fatal(err)
	}
	lsum := sha256.Sum256(layer)
	if man.MediaType != mediaManifest || man.Config.Digest != id || len(man.Layers) != 1 ||
		man.Layers[0].Digest != "sha256:"+hex.EncodeToString(lsum[:]) || man.Layers[0].MediaType != mediaLayer || man.Layers[0].Size != int64(len(layer)) {
		t.Errorf("manifest %+v", man)
	}
	if !bytes.Equal(blob(id), config) {
		t.Errorf("config blob differs")
	}
	index, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil || !strings.Contains(string(index), md) {
		t.Errorf("index %s %v does not name %s", index, err, md)
	}
	if _, err := saveToLayout(bytes.NewReader(save(good)), "sha256:"+strings.Repeat("0", 64), t.TempDir()); err == nil {
		t.Errorf("a save without the image made a layout")
	}
	if _, err := saveToLayout(bytes.NewReader(save(`[{"Config":"`+hex.EncodeToString(sum[:])+`.json","Layers":["missing/layer.tar"]}]`)), id, t.TempDir()); err == nil {
		t.Errorf("a manifest naming a missing layer made a layout")
	}
}

// TestBasesTrim: over its bound, the cache drops the least recently used
// layouts first and never one a build is reading.
func TestBasesTrim(t *testing.T) {
	dir := t.TempDir()
	b := newBases(nil, dir, 2500)
	now := time.Now()
	for i, name := range []string{"old", "busy", "mid", "new"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(p, "blobs"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "blobs", "x"), make([]byte, 1000), 0o600); err != nil {
			t.Fatal(err)
		}
		when := now.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(p, when, when); err != nil {
			t.Fatal(err)
		}
	}
	b.inUse["busy"] = 1
	b.trim()
	for name, kept := range map[string]bool{"old": false, "busy": true, "mid": false, "new": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != kept {
			t.Errorf("%s kept=%v, want %v", name, err == nil, kept)
		}
	}
}
