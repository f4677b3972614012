package build

import (
	"fmt"
	"strings"
	"testing"
)

func TestValidateSecrets(t *testing.T) {
	many := map[string]string{}
	for i := range MaxSecrets + 1 {
		many[fmt.Sprint("s", i)] = "x"
	}
	big := map[string]string{}
	for i := range 9 {
		big[fmt.Sprint("s", i)] = strings.Repeat("x", MaxSecretBytes)
	}
	cases := []struct {
		name    string
		secrets map[string]string
		ok      bool
	}{
		{"none", nil, true},
		{"usual", map[string]string{"npm": "tok", "aws.credentials": "[default]\nkey=x\n", "GH_TOKEN": "x"}, true},
		{"largest value", map[string]string{"k": strings.Repeat("x", MaxSecretBytes)}, true},
		{"too many", many, false},
		{"value too large", map[string]string{"k": strings.Repeat("x", MaxSecretBytes+1)}, false},
		{"too large together", big, false},
		{"empty id", map[string]string{"": "x"}, false},
		{"id with a slash", map[string]string{"../x": "x"}, false},
		{"id with a space", map[string]string{"a b": "x"}, false},
		{"id too long", map[string]string{strings.Repeat("a", 129): "x"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateSecrets(c.secrets)
			if (err == nil) != c.ok {
				t.Fatalf("got %v, want ok=%v", err, c.ok)
			}
			if err != nil && strings.Contains(err.Error(), "xxxx") {
				t.Fatalf("the message quotes a value: %v", err)
			}
		})
	}
	if got := SecretBytes(map[string]string{"a": "b"}); string(got["a"]) != "b" || SecretBytes(nil) != nil {
		t.Fatalf("SecretBytes: %v", got)
	}
}
