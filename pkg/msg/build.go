package msg

import "time"

// ContextsBucket is the JetStream object store bucket that carries uploaded
// build contexts (and stack contexts) from the gateway to the runner: a
// context is far larger than a NATS message (1 MB by default), so the
// gateway streams it into the bucket in chunks and the command names the
// object. The gateway creates the bucket (with a TTL, so an upload nobody
// used goes away); the runner deletes an object once it has read it.
const ContextsBucket = "contexts"

// ContextOwnerKey is the object metadata key holding the uploader's user id:
// the runner reads an object only for that user, so a guessed object name
// of another user's upload is "not found".
const ContextOwnerKey = "owner"

// BuildRequest builds an image from a Dockerfile with the Docker engine.
// The image is tagged "<username>/<name>:<tag>", in the caller's namespace,
// and carries the owner labels.
type BuildRequest struct {
	// Name is the image name inside the caller's namespace (1–24 of
	// [a-z0-9-]); Tag defaults to "latest".
	Name string `json:"name"`
	Tag  string `json:"tag,omitempty"`
	// Dockerfile is the Dockerfile's text. Alone, it is the whole build
	// (nothing to COPY); with a context it replaces the context's own.
	Dockerfile string `json:"dockerfile,omitempty"`
	// DockerfilePath is the Dockerfile's path inside the context (default
	// "Dockerfile").
	DockerfilePath string `json:"dockerfile_path,omitempty"`
	// Context names the uploaded context (tar or tar.gz) in ContextsBucket.
	// The gateway sets it when a context is uploaded; clients never do.
	Context string `json:"context,omitempty"`
	// BuildArgs are --build-arg values, Target the stage to build.
	BuildArgs map[string]string `json:"build_args,omitempty"`
	Target    string            `json:"target,omitempty"`
	NoCache   bool              `json:"no_cache,omitempty"`
	// Network is the network RUN steps use: "default" (the engine's build
	// network, when empty) or "none". "host" is refused by the policy.
	Network string `json:"network,omitempty"`
	// Entitlements are BuildKit's extra privileges ("network.host",
	// "security.insecure"); the policy refuses them for users.
	Entitlements []string `json:"entitlements,omitempty"`
	// Secrets are build secrets by id, what RUN --mount=type=secret,id=<id>
	// reads (BuildKit): mounted for that step only, never in a layer or
	// the build log. Bounded in count and size by the runner.
	Secrets map[string]string `json:"secrets,omitempty"`
	// Run, if set, runs the built image as a container with this spec
	// (Image is filled in with the built tag).
	Run *ContainerSpec `json:"run,omitempty"`
}

// BuildResult is the result of a finished build job.
type BuildResult struct {
	Image string `json:"image"` // "<username>/<name>:<tag>"
	ID    string `json:"id"`    // the image id
	// Container is the container started from the image, when Run was set.
	Container *Container `json:"container,omitempty"`
}

// BuildLog is the progress payload of a build job (and of the build steps
// of a stack up): lines of the builder's output, in order. Step is the
// builder's current step ("Step 2/5 : RUN make"), so a reader that joins
// late still knows where the build is.
type BuildLog struct {
	Service string   `json:"service,omitempty"` // stacks: the service being built
	Step    string   `json:"step,omitempty"`
	Lines   []string `json:"lines"`
	// Steps are the steps that started, ended or changed since the last
	// event (BuildKit only: its vertices); a reader keeps them by ID.
	Steps []BuildStep `json:"steps,omitempty"`
}

// BuildStep is one step of a BuildKit build ("[2/4] RUN make", "[internal]
// load build context"): whether its result came from the cache, when it
// ran and how long, and its error if it failed.
type BuildStep struct {
	ID         string     `json:"id"` // stable within the build
	Name       string     `json:"name"`
	Cached     bool       `json:"cached,omitempty"`
	Started    *time.Time `json:"started,omitempty"`
	Completed  *time.Time `json:"completed,omitempty"`
	DurationMS int64      `json:"duration_ms,omitempty"` // set once completed
	Error      string     `json:"error,omitempty"`
}
