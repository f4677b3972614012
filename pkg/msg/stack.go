package msg

import "time"

// StackUpRequest deploys (or updates) a Compose stack; the reply is a
// JobStarted whose job has kind JobStackUp.
type StackUpRequest struct {
	// Name is the stack's name (1–24 of [a-z0-9-]); it is the Compose
	// project name inside the caller's namespace.
	Name string `json:"name"`
	// Compose is the compose file's YAML text.
	Compose string `json:"compose"`
	// Env holds the only variables interpolation sees: the runner's own
	// environment never leaks into a stack.
	Env map[string]string `json:"env,omitempty"`
	// Context names an uploaded tar (or tar.gz) in ContextsBucket: the
	// project directory, for build: contexts and extends: files. The
	// gateway sets it; clients upload the tar instead.
	Context string `json:"context,omitempty"`
}

// StackRef names one of the caller's stacks.
type StackRef struct {
	Name  string `json:"name"`
	Owner string `json:"owner,omitempty"` // admins only: another user's stack
	// Volumes, on down, also removes the stack's volumes (its data).
	Volumes bool `json:"volumes,omitempty"`
}

// StackListRequest lists stacks; All is honoured for admins only.
type StackListRequest struct {
	All bool `json:"all,omitempty"`
}

// StackList is the reply to a list.
type StackList struct {
	Stacks []Stack `json:"stacks"`
}

// Stack is a deployed stack as the platform shows it.
type Stack struct {
	Name     string `json:"name"`
	Owner    string `json:"owner"`
	Username string `json:"username"`
	// Status sums up its containers: "running", "partial" (some are not
	// running), "stopped", or "empty".
	Status   string         `json:"status"`
	Services []StackService `json:"services,omitempty"`
	Networks []string       `json:"networks,omitempty"` // names the user knows them by
	Volumes  []string       `json:"volumes,omitempty"`
	// Renamed maps the names the compose file uses to the names the
	// platform gave, where they differ (a derived name shortened to fit,
	// a project folder that became a volume); the stack page shows it.
	Renamed []StackRename `json:"renamed,omitempty"`
}

// StackRename is one name of a compose file and the platform's name for it.
type StackRename struct {
	Kind string `json:"kind"` // "service", "network", "volume", "bind", …
	From string `json:"from"` // as the file says it ("db", "./nginx.conf")
	To   string `json:"to"`   // as the platform names it
}

// StackService is one service of a stack and its containers.
type StackService struct {
	Name       string           `json:"name"`
	Image      string           `json:"image,omitempty"`
	State      string           `json:"state"` // running, partial, exited, …
	Containers []StackContainer `json:"containers"`
}

// StackContainer is one container of a service. Name is the platform name
// ("<stack>-<service>", "-<n>" for replicas past the first): the container
// API, its logs and its terminal all take it, and it names the web link
// "<name>--<user>.<apps domain>" of a running container with a TCP port.
type StackContainer struct {
	Name       string     `json:"name"`
	DockerName string     `json:"docker_name"`
	State      string     `json:"state"`
	Status     string     `json:"status"`
	Health     string     `json:"health,omitempty"`
	ExitCode   int        `json:"exit_code,omitempty"`
	Ports      []PortSpec `json:"ports,omitempty"`
	Created    time.Time  `json:"created"`
	// Links are the container's web links; the gateway fills them in.
	Links []string `json:"links,omitempty"`
}

// StackProgress is the progress payload of a stack up job: one Compose
// event (a network created, a container started, an image pulled), or
// build output of a service (Build).
type StackProgress struct {
	Resource string    `json:"resource,omitempty"` // "Container alice--shop-web", "Network …"
	Status   string    `json:"status,omitempty"`   // Compose's words: Creating, Started, …
	Text     string    `json:"text,omitempty"`
	Build    *BuildLog `json:"build,omitempty"`
}

// StackUpResult is the result of a finished up job.
type StackUpResult struct {
	Stack Stack `json:"stack"`
	// Notes say how the file was honoured where the platform translated
	// it ("ports 8000:8000 → http://web--alice.apps…", "./app is a
	// volume seeded from the project"); each was also a progress event
	// with Status StatusNote, before anything was created.
	Notes []string `json:"notes,omitempty"`
}

// StatusNote is the Status of a StackProgress that carries a note (Text).
const StatusNote = "Note"

// StackDownResult says what a down removed.
type StackDownResult struct {
	Name       string   `json:"name"`
	Containers int      `json:"containers"`
	Networks   []string `json:"networks,omitempty"`
	Volumes    []string `json:"volumes,omitempty"`
}
