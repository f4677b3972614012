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

// WithoutIgnored is the context less what its ignore file excludes,
// with BuildKit's pattern semantics (the moby/patternmatcher BuildKit
// uses: patterns in order, "!" exceptions, a directory's exclusion holding
// for what is beneath it unless an exception names it), before the context
// is sent. The ignore file itself stays, as BuildKit leaves it unless it is
// listed — but for the context's .dockerignore when a Dockerfile's own file
// was used: the builder reads that one again from the context (Context
// passes it on, next to the Dockerfile's platform name), and its patterns
// are not this build's. The Dockerfile has been read already: excluding it
// changes nothing for the build, as with BuildKit. a itself is left as it
// is: a stack's services share the project's archive, each with its own
// Dockerfile and ignore file.
func (a *Archive) WithoutIgnored(dockerfile string) (*Archive, error) {
	name, data, err := a.ignoreFile(dockerfile)
	if err != nil || name == "" {
		return a, err
	}
	patterns, err := ignorefile.ReadAll(bytes.NewReader(data))
	if err != nil {
		return nil, apierr.Invalid("%s: %v", name, err)
	}
	if len(patterns) > maxIgnorePatterns {
		return nil, apierr.Invalid("%s has %d patterns; the platform reads at most %d", name, len(patterns), maxIgnorePatterns)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, apierr.Invalid("%s: %v", name, err)
	}
	out := &Archive{}
	for _, e := range a.Entries {
		drop, err := pm.MatchesOrParentMatches(e.Header.Name)
		if err != nil {
			return nil, apierr.Invalid("%s: %v", name, err)
		}
		if drop || name != dockerignore && e.Header.Name == dockerignore {
			continue
		}
		out.Entries = append(out.Entries, e)
		out.size += int64(len(e.Data))
	}
	return out, nil
}
