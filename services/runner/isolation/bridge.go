package isolation

import (
	"crypto/sha256"
	"encoding/hex"
)

// Prefix starts the bridge interface name of every network the runner
// creates, so the firewall matches platform bridges by wildcard ("dko*")
// from the instant Docker makes them, before any re-check has run.
const Prefix = "dko"

// BridgeNameOption is Docker's bridge driver option naming the interface.
const BridgeNameOption = "com.docker.network.bridge.name"

// BridgeName is the interface name for the Docker network dockerName:
// Prefix and 12 hex digits of a hash of the name, 15 characters, the
// kernel's limit. The same name gives the same bridge, so a network made
// twice concurrently collides in Docker (one create wins) rather than
// making two bridges.
func BridgeName(dockerName string) string {
	sum := sha256.Sum256([]byte(dockerName))
	return Prefix + hex.EncodeToString(sum[:])[:12]
}

// BridgeOptions are the driver options that name dockerName's bridge; the
// runner adds them to every network it creates.
func BridgeOptions(dockerName string) map[string]string {
	return map[string]string{BridgeNameOption: BridgeName(dockerName)}
}

// bridgeOf is the interface Docker made for a network: the named one, or
// Docker's default "br-" and the first 12 characters of the id.
func bridgeOf(id string, options map[string]string) string {
	if n := options[BridgeNameOption]; n != "" {
		return n
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return "br-" + id
}
