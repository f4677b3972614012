package msg

import "time"

// NetworkCreate creates one of the caller's private bridge networks.
type NetworkCreate struct {
	Name string `json:"name"`
	// Internal networks have no route out of the host.
	Internal bool `json:"internal,omitempty"`
}

// NetworkRef names one of the caller's networks (Owner: admins only).
type NetworkRef struct {
	Name  string `json:"name"`
	Owner string `json:"owner,omitempty"`
}

// NetworkListRequest lists networks; All is honoured for admins only.
type NetworkListRequest struct {
	All bool `json:"all,omitempty"`
}

// Network is the platform's view of a user network.
type Network struct {
	Name       string    `json:"name"`
	DockerName string    `json:"docker_name"`
	Owner      string    `json:"owner"`
	Username   string    `json:"username"`
	Internal   bool      `json:"internal"`
	Subnet     string    `json:"subnet,omitempty"`
	Created    time.Time `json:"created"`
	Containers []string  `json:"containers"` // names of attached containers
}

// NetworkList is the reply to a list.
type NetworkList struct {
	Networks []Network `json:"networks"`
}
