package build

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
)

// cgroupPrefix names the cgroups the runner makes for builds.
const cgroupPrefix = "dockeronline-build-"

// buildCgroup bounds the processes of one build's RUN steps. The classic
// builder has no pids limit of its own, but it honours a cgroup parent:
// the runner makes a parent cgroup with pids.max and the engine puts each
// RUN container beneath it, so a fork bomb in a RUN step hits the
// parent's limit (cgroup limits are hierarchical) and the host is fine.
type buildCgroup struct {
	root string // the cgroup mount (BUILD_CGROUP_ROOT)
	name string
}

// newBuildCgroup makes the parent cgroup with pids.max = pids, for cgroup
// v1 (the pids hierarchy) or v2 (the unified one).
func newBuildCgroup(root string, pids int64) (*buildCgroup, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return makeBuildCgroup(root, cgroupPrefix+hex.EncodeToString(b), pids, false)
}

// makeBuildCgroup makes the parent cgroup name; reuse accepts one that
// exists (a user's BuildKit parent, see buildkit.cgroup).
func makeBuildCgroup(root, name string, pids int64, reuse bool) (*buildCgroup, error) {
	g := &buildCgroup{root: root, name: name}
	dir := g.pidsDir()
	if err := os.Mkdir(dir, 0o755); err != nil && !(reuse && errors.Is(err, os.ErrExist)) {
		return nil, apierr.New(apierr.CodeUnavailable, "builds cannot be bounded on this runner (cgroup %s: %v)", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte(strconv.FormatInt(pids, 10)), 0o644); err != nil {
		g.remove()
		return nil, apierr.New(apierr.CodeUnavailable, "builds cannot be bounded on this runner (pids.max in %s: %v)", dir, err)
	}
	return g, nil
}

func (g *buildCgroup) v2() bool {
	_, err := os.Stat(filepath.Join(g.root, "cgroup.controllers"))
	return err == nil
}

func (g *buildCgroup) pidsDir() string {
	if g.v2() {
		return filepath.Join(g.root, g.name)
	}
	return filepath.Join(g.root, "pids", g.name)
}

// Parent is the cgroup parent to give the engine (cgroupfs driver).
func (g *buildCgroup) Parent() string { return "/" + g.name }

// remove deletes the parent in every hierarchy the engine made it in,
// once the build's containers are gone (the engine removes them; their
// cgroups may take a moment to go).
func (g *buildCgroup) remove() error {
	dirs, _ := filepath.Glob(filepath.Join(g.root, "*", g.name))
	if g.v2() {
		dirs = append(dirs, filepath.Join(g.root, g.name))
	}
	// BuildKit's runc nests each RUN step's cgroup beneath the parent
	// (<parent>/buildkit/<id>); runc removes the step's, not the levels
	// between, which are removed here, deepest first.
	var nested []string
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && e.IsDir() && p != d {
				nested = append(nested, p)
			}
			return nil
		})
	}
	for i := len(nested) - 1; i >= 0; i-- {
		_ = os.Remove(nested[i])
	}
	var errs []error
	for _, d := range dirs {
		var err error
		for i := 0; i < 20; i++ {
			if err = os.Remove(d); err == nil || errors.Is(err, os.ErrNotExist) {
				err = nil
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}
