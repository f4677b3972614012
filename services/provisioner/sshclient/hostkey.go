package sshclient

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Host key failures. Both are security failures: the client never
// authenticates, let alone runs anything, on a host it cannot identify.
var (
	ErrHostKeyMismatch = errors.New("the host key does not match the one pinned in known_hosts (possible man-in-the-middle)")
	ErrHostKeyUnknown  = errors.New("the host is not in known_hosts")
)

// hostKeys pins the server's key from a known_hosts file.
type hostKeys struct {
	callback ssh.HostKeyCallback
	// algorithms are the key types known_hosts holds for the address.
	// Offering only them makes a server with several host keys present
	// the pinned one, rather than fail the check with another type.
	algorithms []string
}

func loadHostKeys(file, addr string) (hostKeys, error) {
	cb, err := knownhosts.New(file)
	if err != nil {
		return hostKeys{}, fmt.Errorf("known_hosts %s: %w", file, err)
	}
	algos, err := pinnedAlgorithms(cb, addr)
	if err != nil {
		return hostKeys{}, fmt.Errorf("known_hosts %s: %w", file, err)
	}
	return hostKeys{callback: checked(cb), algorithms: algos}, nil
}

// pinnedAlgorithms asks the callback about a key that cannot be pinned: the
// KeyError it returns lists the keys that are.
func pinnedAlgorithms(cb ssh.HostKeyCallback, addr string) ([]string, error) {
	probe, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		return nil, err
	}
	// known_hosts lines may name the host or its IP. A name that does not
	// resolve yet (DNS not up at start) is still looked up by name.
	remote, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		remote = &net.TCPAddr{}
	}
	var keyErr *knownhosts.KeyError
	if err := cb(addr, remote, probe); !errors.As(err, &keyErr) {
		return nil, fmt.Errorf("cannot read the pinned keys of %s: %v", addr, err)
	}
	if len(keyErr.Want) == 0 {
		return nil, fmt.Errorf("%s: %w", addr, ErrHostKeyUnknown)
	}
	var algos []string
	seen := map[string]bool{}
	for _, k := range keyErr.Want {
		for _, a := range algorithmsFor(k.Key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos, nil
}

// algorithmsFor lists the signature algorithms of a key type: an RSA key
// signs with SHA-2 (and, from old servers, SHA-1).
func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// checked turns knownhosts' errors into the sentinel errors above.
func checked(cb ssh.HostKeyCallback) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := cb(hostname, remote, key)
		var keyErr *knownhosts.KeyError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &keyErr) && len(keyErr.Want) > 0:
			return fmt.Errorf("%s presented %s %s: %w", hostname, key.Type(), ssh.FingerprintSHA256(key), ErrHostKeyMismatch)
		case errors.As(err, &keyErr):
			return fmt.Errorf("%s: %w", hostname, ErrHostKeyUnknown)
		default:
			return err
		}
	}
}
