package web

import (
	"fmt"

	ory "github.com/ory/kratos-client-go"
)

// formView is one HTML form of a Kratos flow.
type formView struct {
	Action string
	Method string
	Group  string
	Fields []fieldView
	Submit []fieldView
	Hidden []fieldView
	Texts  []fieldView // text, image and link nodes
}

// fieldView is one Kratos UI node as the template shows it.
type fieldView struct {
	ID, Name, Type, Value, Label, Autocomplete, Pattern, Hint string
	Href, Src                                                 string
	MinLength, MaxLength                                      int64
	Required, Disabled, Checked                               bool
	Messages                                                  []textView
}

// textView is one of Kratos' messages; Type is info, error or success.
type textView struct{ Text, Type string }

func texts(ms []ory.UiText) []textView {
	out := make([]textView, 0, len(ms))
	for _, m := range ms {
		out = append(out, textView{Text: m.Text, Type: m.Type})
	}
	return out
}

// hints complete Kratos' nodes with what the identity schema says in
// words (Kratos passes no description) and with the platform's naming
// rules (pkg/names) as an HTML pattern, so a bad username is caught before
// the round trip. The pattern allows a '-' only before a letter or digit:
// no "--", no trailing '-'.
var hints = map[string]struct{ hint, pattern string }{
	"traits.username": {
		hint:    "3–31 characters: lower-case letters, digits and single dashes, starting with a letter. It names your Linux account and your web links.",
		pattern: usernamePattern,
	},
}

// Patterns mirroring pkg/names (HTML patterns are anchored by the browser).
const (
	usernamePattern = "[a-z](?:[a-z0-9]|-(?=[a-z0-9])){2,30}"
	objectPattern   = "[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,23}"
)

// forms groups a flow's nodes into forms: the "default" group (CSRF token,
// identifier, traits) belongs to every form, and each other group
// (password, code, profile, …) gets a form of its own, as Kratos expects
// one method per submission. With one method there is one form.
func forms(ui ory.UiContainer) []formView {
	var groups []string
	seen := map[string]bool{}
	for _, n := range ui.Nodes {
		if n.Group != "default" && !seen[n.Group] {
			seen[n.Group] = true
			groups = append(groups, n.Group)
		}
	}
	if len(groups) == 0 {
		groups = []string{"default"}
	}
	out := make([]formView, 0, len(groups))
	for _, g := range groups {
		f := formView{Action: ui.Action, Method: ui.Method, Group: g}
		for i, n := range ui.Nodes {
			if n.Group != g && n.Group != "default" {
				continue
			}
			fv, kind := field(n, g, i)
			switch kind {
			case "hidden":
				f.Hidden = append(f.Hidden, fv)
			case "submit":
				f.Submit = append(f.Submit, fv)
			case "text":
				f.Texts = append(f.Texts, fv)
			case "field":
				f.Fields = append(f.Fields, fv)
			}
		}
		out = append(out, f)
	}
	return out
}

// field turns a node into a field; kind says where it goes ("" = skip:
// scripts, which the CSP would refuse anyway, are for methods not enabled).
func field(n ory.UiNode, group string, i int) (fieldView, string) {
	a := n.Attributes
	fv := fieldView{Messages: texts(n.Messages)}
	if n.Meta.Label != nil {
		fv.Label = n.Meta.Label.Text
	}
	switch {
	case a.UiNodeInputAttributes != nil:
		in := a.UiNodeInputAttributes
		fv.Name, fv.Type, fv.Disabled = in.Name, in.Type, in.Disabled
		fv.ID = fmt.Sprintf("%s-%s-%d", group, in.Name, i)
		if in.Value != nil {
			fv.Value = fmt.Sprint(in.Value)
		}
		if in.Label != nil && fv.Label == "" {
			fv.Label = in.Label.Text
		}
		if in.Required != nil {
			fv.Required = *in.Required
		}
		if in.Autocomplete != nil {
			fv.Autocomplete = *in.Autocomplete
		}
		if in.Pattern != nil {
			fv.Pattern = *in.Pattern
		}
		if in.Maxlength != nil {
			fv.MaxLength = *in.Maxlength
		}
		if h, ok := hints[in.Name]; ok {
			fv.Hint = h.hint
			if fv.Pattern == "" {
				fv.Pattern = h.pattern
			}
		}
		if in.Name == "identifier" && (fv.Label == "ID" || fv.Label == "") {
			// Kratos says "ID" when a user has several identifiers.
			fv.Label = "E-mail or username"
		}
		if in.Name == "traits.username" {
			fv.MaxLength = 31
			fv.Autocomplete = "username"
		}
		if in.Name == "password" && fv.Autocomplete == "new-password" {
			// A new password only: an old one may predate today's rule.
			fv.MinLength, fv.Hint = 8, "At least 8 characters."
		}
		switch in.Type {
		case "hidden":
			return fv, "hidden"
		case "submit", "button":
			return fv, "submit"
		case "checkbox":
			fv.Checked = fv.Value == "true"
			fv.Value = "true"
		}
		if fv.Type == "password" {
			fv.Value = "" // never echo a secret back
		}
		return fv, "field"
	case a.UiNodeTextAttributes != nil:
		fv.Type, fv.Value = "text", a.UiNodeTextAttributes.Text.Text
		return fv, "text"
	case a.UiNodeAnchorAttributes != nil:
		fv.Type, fv.Href, fv.Value = "a", a.UiNodeAnchorAttributes.Href, a.UiNodeAnchorAttributes.Title.Text
		return fv, "text"
	case a.UiNodeImageAttributes != nil:
		fv.Type, fv.Src = "img", a.UiNodeImageAttributes.Src
		return fv, "text"
	}
	return fv, ""
}
