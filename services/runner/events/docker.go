package events

import (
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

type engineInspect = container.InspectResponse

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
