package msg

import "time"

// VolumeCreate creates one of the caller's named volumes.
type VolumeCreate struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// VolumeRef names one of the caller's volumes (Owner: admins only).
type VolumeRef struct {
	Name  string `json:"name"`
	Owner string `json:"owner,omitempty"`
}

// VolumeListRequest lists volumes; All is honoured for admins only.
type VolumeListRequest struct {
	All bool `json:"all,omitempty"`
}

// Volume is the platform's view of a named volume.
type Volume struct {
	Name       string            `json:"name"`
	DockerName string            `json:"docker_name"`
	Owner      string            `json:"owner"`
	Username   string            `json:"username"`
	Created    time.Time         `json:"created"`
	UsedBy     []string          `json:"used_by"` // names of the containers mounting it
	Labels     map[string]string `json:"labels,omitempty"`
}

// VolumeList is the reply to a list.
type VolumeList struct {
	Volumes []Volume `json:"volumes"`
}

// VolumeEvent is the payload of evt.volume.<action> (create, destroy, …),
// published by the runner from Docker's event stream.
type VolumeEvent struct {
	EventID    string    `json:"event_id"`
	Action     string    `json:"action"`
	Name       string    `json:"name"`
	DockerName string    `json:"docker_name"`
	Owner      string    `json:"owner"`
	Username   string    `json:"username"`
	Time       time.Time `json:"time"`
}
