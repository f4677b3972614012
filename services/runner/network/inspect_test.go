package network_test

import "github.com/moby/moby/client"

func clientInspect() client.ContainerInspectOptions { return client.ContainerInspectOptions{} }
