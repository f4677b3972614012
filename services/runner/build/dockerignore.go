package build

import (
	"archive/tar"
	"bytes"
	"path"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/dockeronline/platform/pkg/apierr"
)

// maxIgnorePatterns bounds an ignore file: each pattern is matched against
// every entry and its parents, and the runner's time must stay bounded.
const maxIgnorePatterns = 4096

// ignoreFile is the ignore file BuildKit reads for the Dockerfile at
// dockerfile: "<Dockerfile>.dockerignore" beside it when there is one,
// else .dockerignore at the context's root ("" and nil: none).
func (a *Archive) ignoreFile(dockerfile string) (string, []byte, error) {
	for _, name := range []string{path.Clean(dockerfile) + ".dockerignore", dockerignore} {
		for _, e := range a.Entries {
			if e.Header.Name != name {
				continue
			}
			if e.Header.Typeflag != tar.TypeReg {
				return "", nil, apierr.Invalid("context entry %q must be a regular file", name)
			}
			return name, e.Data, nil
		}
	}
	return "", nil, nil
}

// ApplyDockerignore drops from the context what its ignore file excludes,
// with BuildKit's pattern semantics (the moby/patternmatcher BuildKit
// uses: patterns in order, "!" exceptions, a directory's exclusion holding
// for what is beneath it unless an exception names it), before the context
// is sent. The ignore file itself stays, as BuildKit leaves it unless it is
// listed. The Dockerfile has been read already: excluding it changes
// nothing for the build, as with BuildKit.
func (a *Archive) ApplyDockerignore(dockerfile string) error {
	name, data, err := a.ignoreFile(dockerfile)
	if err != nil || name == "" {
		return err
	}
	patterns, err := ignorefile.ReadAll(bytes.NewReader(data))
	if err != nil {
		return apierr.Invalid("%s: %v", name, err)
	}
	if len(patterns) > maxIgnorePatterns {
		return apierr.Invalid("%s has %d patterns; the platform reads at most %d", name, len(patterns), maxIgnorePatterns)
	}
	if len(patterns) == 0 {
		return nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return apierr.Invalid("%s: %v", name, err)
	}
	kept := a.Entries[:0:0]
	var size int64
	for _, e := range a.Entries {
		out, err := pm.MatchesOrParentMatches(e.Header.Name)
		if err != nil {
			return apierr.Invalid("%s: %v", name, err)
		}
		if out {
			continue
		}
		kept = append(kept, e)
		size += int64(len(e.Data))
	}
	a.Entries, a.size = kept, size
	return nil
}
