// Package signup validates usernames for Kratos at registration: Kratos
// calls the web hook served here before it stores a new identity (the
// registration "after password" web_hook with can_interrupt, see
// deploy/kratos/kratos.yml), and shows the messages returned here next to
// the username field. Kratos' identity schema already refuses a bad length
// or character set with its own messages; the rules it cannot say clearly
// (reserved names, "--", a trailing '-') are checked here with
// names.ValidateUsername, the same rule every service applies.
package signup

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/dockeronline/platform/pkg/names"
)

// Path is where the hook is served on the auth service's HTTP listener.
const Path = "/hooks/kratos/registration"

// MessageID is Kratos' generic validation message id (text.ErrorValidationGeneric).
const MessageID = 4000001

// maxBody bounds what Kratos sends (the traits only).
const maxBody = 64 << 10

// request is the body the hook's Jsonnet template builds.
type request struct {
	Traits struct {
		Username string `json:"username"`
	} `json:"traits"`
}

type message struct {
	ID      int               `json:"id"`
	Text    string            `json:"text"`
	Type    string            `json:"type"`
	Context map[string]string `json:"context,omitempty"`
}

type fieldMessages struct {
	InstancePtr string    `json:"instance_ptr"`
	Messages    []message `json:"messages"`
}

// Handler answers 200 when the username may be used, otherwise 400 with
// Kratos' web hook error body naming the rule.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		var req request
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
			refuse(w, "", "the registration hook could not read the username")
			return
		}
		if err := names.ValidateUsername(req.Traits.Username); err != nil {
			rule := "username"
			var ne *names.Error
			if errors.As(err, &ne) {
				rule = ne.Rule
			}
			refuse(w, rule, err.Error()+" (rule "+rule+")")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
	})
}

func refuse(w http.ResponseWriter, rule, text string) {
	body := map[string][]fieldMessages{"messages": {{
		InstancePtr: "#/traits/username",
		Messages:    []message{{ID: MessageID, Text: text, Type: "error", Context: map[string]string{"rule": rule}}},
	}}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(body)
}
