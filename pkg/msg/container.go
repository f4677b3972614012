package msg

import (
	"encoding/json"
	"time"
)

// ContainerSpec is everything a user may ask for when running a container.
// The runner's policy engine decides what of it reaches Docker.
type ContainerSpec struct {
	Name          string            `json:"name"`
	Image         string            `json:"image"`
	Cmd           []string          `json:"cmd,omitempty"`
	Entrypoint    []string          `json:"entrypoint,omitempty"`
	Env           []string          `json:"env,omitempty"` // "KEY=value"
	WorkingDir    string            `json:"working_dir,omitempty"`
	Ports         []PortSpec        `json:"ports,omitempty"`
	Volumes       []VolumeMount     `json:"volumes,omitempty"`
	Network       string            `json:"network,omitempty"`        // one of the user's networks; "default" if empty
	RestartPolicy string            `json:"restart_policy,omitempty"` // no, always, on-failure, unless-stopped
	MemoryMB      int64             `json:"memory_mb,omitempty"`
	CPUs          float64           `json:"cpus,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	// PrivateLink makes the web link answer only the owner (and admins).
	PrivateLink bool `json:"private_link,omitempty"`
	// HostConfig is raw Docker host configuration (Engine API HostConfig
	// JSON) for advanced use. Fields set here win over the ones above, and
	// the policy engine judges the result: for non-admins anything that
	// reaches the host is refused with the rule that says why.
	HostConfig json.RawMessage `json:"host_config,omitempty"`
}

// PortSpec is a container port; it becomes a web link through the proxy.
// Publish, if set, also publishes it on that host port, which must lie in
// the range the admin opened (RUNNER_PUBLISH_PORTS).
type PortSpec struct {
	Container int    `json:"container"`
	Protocol  string `json:"protocol,omitempty"` // tcp (default) or udp
	Publish   int    `json:"publish,omitempty"`
}

// VolumeMount mounts one of the user's named volumes.
type VolumeMount struct {
	Volume   string `json:"volume"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// ContainerCreate creates and starts a container. RequestID makes a retried
// command idempotent.
type ContainerCreate struct {
	RequestID string        `json:"request_id,omitempty"`
	Spec      ContainerSpec `json:"spec"`
}

// ContainerRef names one of the caller's containers.
type ContainerRef struct {
	Name  string `json:"name"`
	Owner string `json:"owner,omitempty"` // admins only: act on another user's object
	Force bool   `json:"force,omitempty"` // remove: also when running
}

// ContainerListRequest lists containers; All is honoured for admins only.
type ContainerListRequest struct {
	All bool `json:"all,omitempty"`
}

// Container is the view of a container the platform shows.
type Container struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	DockerName    string            `json:"docker_name"`
	Owner         string            `json:"owner"`
	Username      string            `json:"username"`
	Image         string            `json:"image"`
	State         string            `json:"state"`  // created, running, exited, …
	Status        string            `json:"status"` // Docker's human status
	Created       time.Time         `json:"created"`
	Ports         []PortSpec        `json:"ports,omitempty"`
	Network       string            `json:"network,omitempty"`
	Cmd           []string          `json:"cmd,omitempty"`
	Env           []string          `json:"env,omitempty"` // inspect only: the owner's own settings
	PrivateLink   bool              `json:"private_link,omitempty"`
	RestartPolicy string            `json:"restart_policy,omitempty"`
	MemoryMB      int64             `json:"memory_mb,omitempty"`
	CPUs          float64           `json:"cpus,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
}

// ContainerList is the reply to a list.
type ContainerList struct {
	Containers []Container `json:"containers"`
}

// ContainerEvent is the payload of evt.container.<action>.
type ContainerEvent struct {
	EventID    string     `json:"event_id"`
	Action     string     `json:"action"` // create, start, stop, die, destroy, …
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Owner      string     `json:"owner"`
	Username   string     `json:"username"`
	State      string     `json:"state"`
	IP         string     `json:"ip,omitempty"` // on the owner's network
	Ports      []PortSpec `json:"ports,omitempty"`
	Time       time.Time  `json:"time"`
	ExitCode   int        `json:"exit_code,omitempty"`
	DockerName string     `json:"docker_name"`
	// PrivateLink: the web link answers only the owner (and admins).
	PrivateLink bool `json:"private_link,omitempty"`
}

// ContainerSnapshot is the payload of evt.container.snapshot, published by
// the runner after it re-published every container's state (at start and
// after a gap in Docker's event stream): IDs holds every platform container
// that exists. A consumer drops whatever it knows of other ids — ghosts
// whose destroy event was lost in the gap.
type ContainerSnapshot struct {
	EventID string    `json:"event_id"`
	IDs     []string  `json:"ids"`
	Time    time.Time `json:"time"`
}
