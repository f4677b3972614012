package web

import (
	"errors"
	"fmt"
	"html/template"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dockeronline/platform/pkg/msg"
)

var funcs = template.FuncMap{
	"asset":      asset,
	"stateClass": stateClass,
	"stateLabel": stateLabel,
	"ago":        ago,
	"stamp":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ports":      portList,
	"cmdline":    cmdline,
	"kv":         sortedKV,
	"mb":         func(n int64) string { return strconv.FormatInt(n, 10) + " MB" },
	"cpus":       func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
	"dict":       dict,
	"pct":        pct,
	"join":       strings.Join,
	"float":      toFloat,
	"slice1": func(s []string) []string {
		if len(s) < 2 {
			return nil
		}
		return s[1:]
	},
	"bytes":     humanBytes,
	"shortID":   shortID,
	"imageName": imageName,
	"linkText": func(u string) string {
		u = strings.TrimSuffix(u, "/")
		if i := strings.Index(u, "://"); i >= 0 {
			u = u[i+3:]
		}
		return u
	},
	"usernamePattern": func() string { return usernamePattern },
	"linuxState":      func(s string) msg.ProvisionState { return msg.ProvisionState(s) },
	"userConfirm": func(op, name string) string {
		if a, ok := userActions[op]; ok && a.confirm != "" {
			return fmt.Sprintf(a.confirm, name)
		}
		return ""
	},
	"msgClass": func(t string) string {
		switch t {
		case "error":
			return "bad"
		case "success":
			return "ok"
		}
		return "info"
	},
	"groupTitle": func(g string) string {
		switch g {
		case "password":
			return "Password"
		case "profile":
			return "Profile"
		case "code":
			return "One-time code"
		}
		return g
	},
	"inputType": func(t string) string {
		switch t {
		case "text", "email", "password", "number", "tel", "url", "datetime-local", "date":
			return t
		}
		return "text"
	},
	"hasError": func(ts []textView) bool {
		for _, t := range ts {
			if t.Type == "error" {
				return true
			}
		}
		return false
	},
	"restartPolicies": func() []option {
		return []option{{"no", "Never restart"}, {"on-failure", "Restart on failure"}, {"unless-stopped", "Always, unless I stop it"}, {"always", "Always"}}
	},
	"volumesHint": volumesHint,
	"linuxClass":  linuxClass,
	"linuxWords":  linuxWords,
	"confirmText": func(op, name string) string {
		if a, ok := actions[op]; ok && a.confirm != "" {
			return fmt.Sprintf(a.confirm, name)
		}
		return ""
	},
	"upper1": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
}

// stateClass is the badge style of a Docker state.
func stateClass(state string) string {
	switch state {
	case "running":
		return "ok"
	case "created", "restarting", "paused", "removing":
		return "warn"
	case "dead":
		return "bad"
	default:
		return "off"
	}
}

// stateLabel words a Docker state for people.
func stateLabel(state string) string {
	switch state {
	case "running":
		return "Running"
	case "exited":
		return "Stopped"
	case "created":
		return "Created"
	case "restarting":
		return "Restarting"
	case "paused":
		return "Paused"
	case "removing":
		return "Deleting"
	case "dead":
		return "Dead"
	case "":
		return "Unknown"
	}
	return strings.ToUpper(state[:1]) + state[1:]
}

// ago is a coarse relative time: precise enough to read, stable enough
// that a live fragment does not change every second.
func ago(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	default:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func portList(ps []msg.PortSpec) string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		s := strconv.Itoa(p.Container)
		if p.Protocol != "" && p.Protocol != "tcp" {
			s += "/" + p.Protocol
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// cmdline shows a command as a shell would take it back (see splitArgs).
func cmdline(args []string) string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`") {
			out = append(out, a)
			continue
		}
		out = append(out, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	return strings.Join(out, " ")
}

type kvPair struct{ Key, Value string }

func sortedKV(m map[string]string) []kvPair {
	out := make([]kvPair, 0, len(m))
	for k, v := range m {
		out = append(out, kvPair{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// dict passes several values to a partial template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict wants key/value pairs")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// pct is used/total in percent, capped at 100, for meters.
func pct(used, total float64) int {
	if total <= 0 {
		return 0
	}
	p := int(used / total * 100)
	if p > 100 {
		p = 100
	}
	return p
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

func linuxClass(s msg.ProvisionState) string {
	switch s {
	case msg.ProvisionReady:
		return "ok"
	case msg.ProvisionPending:
		return "warn"
	case msg.ProvisionFailed:
		return "bad"
	}
	return "off"
}

// linuxWords says what a Linux account state means for its owner.
func linuxWords(s msg.ProvisionState, user string) string {
	switch s {
	case msg.ProvisionReady:
		return "Your account " + user + " exists on the Docker host."
	case msg.ProvisionPending:
		return "Your account " + user + " is being created on the Docker host."
	case msg.ProvisionFailed:
		return "Your account could not be created; an administrator has been told."
	case msg.ProvisionRemoved:
		return "Your account has been removed from the Docker host."
	case msg.ProvisionDisabled:
		return "Linux accounts are not created on this server."
	}
	return "Status: " + string(s) + "."
}

type option struct{ Value, Label string }

func volumesHint(vs []msg.Volume) string {
	h := "One volume:/path a line; add :ro for read-only. Volumes are created on first use."
	if len(vs) == 0 {
		return h
	}
	names := make([]string, 0, len(vs))
	for _, v := range vs {
		names = append(names, v.Name)
	}
	return h + " Yours: " + strings.Join(names, ", ") + "."
}

// humanBytes is a size in the units people read (powers of 1024).
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("KMGTPE"[exp]) + "B"
}
