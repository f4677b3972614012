package routes

import (
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/names"
)

// TestShortenedNamesRoute: the names a stack derives for long stack and
// service names (pkg/names Fit) are names the proxy routes, every label
// of them (plain and per port, with the longest username) one host label
// it parses back to the same route.
func TestShortenedNamesRoute(t *testing.T) {
	user := "u" + strings.Repeat("b", names.UsernameMax-1)
	for _, derived := range []string{
		"wordpress-mysql-wordpress",
		"nextcloud-postgres-default",
		"customer-portal-stack-pr-customer-portal-frontend-server",
		"s-db_data", "s-My.Service", strings.Repeat("x", 200),
	} {
		name := names.Fit(derived)
		for _, label := range Labels(name, user, []int{80, 8080, 65535}) {
			got, _, err := ParseHost(label+"."+testDomain, testDomain)
			if err != nil || got != label {
				t.Errorf("%q (from %q): ParseHost = %q, %v", label, derived, got, err)
			}
			if len(label) > 63 {
				t.Errorf("%q is %d bytes, more than a DNS label", label, len(label))
			}
		}
	}
}
