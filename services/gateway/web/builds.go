package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/audit"
	"github.com/dockeronline/platform/services/gateway/builds"
)

// buildsView is the build page: the form (a Dockerfile alone, no context
// upload), and a build in progress, whose job's events the page's script
// turns into the live build log and the result or Docker's error.
type buildsView struct {
	V           buildValues
	Err         *apierr.Error
	Rule        string
	Job         *buildJob
	NamePattern string
	NameMax     int
}

// buildValues are the form's fields, as typed.
type buildValues struct {
	Name, Tag, Dockerfile, BuildArgs, Target string
	NoCache                                  bool
}

// buildJob is a build the page follows.
type buildJob struct {
	Image  string // name:tag, as the user typed it
	Events string // the job's SSE URL on the API
}

func (h *Handler) buildsPage(w http.ResponseWriter, r *http.Request) {
	v := buildsView{V: buildValues{Tag: "latest"}}
	q := r.URL.Query()
	if id := q.Get("job"); validJobID(id) {
		v.Job = &buildJob{Image: q.Get("image"), Events: "/api/v1/jobs/" + url.PathEscape(id) + "/events"}
	}
	h.renderBuilds(w, r, http.StatusOK, v)
}

func (h *Handler) renderBuilds(w http.ResponseWriter, r *http.Request, status int, v buildsView) {
	v.NamePattern, v.NameMax = objectPattern, 24
	h.render(w, status, "builds", h.page(w, r, "Build", "builds", v))
}

// startBuild starts a build job from the form and follows it on the page.
func (h *Handler) startBuild(w http.ResponseWriter, r *http.Request) {
	v := buildValues{
		Name:       strings.TrimSpace(r.PostFormValue("name")),
		Tag:        strings.TrimSpace(r.PostFormValue("tag")),
		Dockerfile: r.PostFormValue("dockerfile"),
		BuildArgs:  r.PostFormValue("build_args"),
		Target:     strings.TrimSpace(r.PostFormValue("target")),
		NoCache:    r.PostFormValue("no_cache") == "on",
	}
	if v.Tag == "" {
		v.Tag = "latest"
	}
	args, err := keyValueLines("build argument", v.BuildArgs)
	var secrets map[string]string
	if err == nil {
		// Secrets are never put back in the page (V has no field for them)
		// nor quoted in a message.
		secrets, err = secretLines(r.PostFormValue("secrets"))
	}
	if err == nil && strings.TrimSpace(v.Dockerfile) == "" {
		err = apierr.Invalid("the Dockerfile is empty: write at least a FROM line")
	}
	if err != nil {
		e := apierr.From(err)
		h.renderBuilds(w, r, e.HTTPStatus(), buildsView{V: v, Err: e})
		return
	}
	h.audited(w, r, func(w http.ResponseWriter, r *http.Request) {
		audit.SetTarget(r.Context(), "image="+v.Name+":"+v.Tag)
		started, err := h.builds.Build(r.Context(), builds.Request{Build: msg.BuildRequest{
			Name: v.Name, Tag: v.Tag, Dockerfile: v.Dockerfile, BuildArgs: args, Target: v.Target, NoCache: v.NoCache,
			Secrets: secrets,
		}})
		if err != nil {
			e := apierr.From(err)
			h.renderBuilds(w, r, e.HTTPStatus(), buildsView{V: v, Err: e, Rule: ruleWords(e.Rule)})
			return
		}
		q := url.Values{"job": {started.Job.ID}, "image": {v.Name + ":" + v.Tag}}
		http.Redirect(w, r, "/builds?"+q.Encode(), http.StatusSeeOther)
	})
}

// secretLines reads ID=VALUE lines of build secrets like keyValueLines,
// but a malformed line is named by its number alone: it may be a secret.
func secretLines(text string) (map[string]string, error) {
	return kvLines("build secret", text, false)
}

// keyValueLines reads KEY=VALUE lines (build arguments, stack variables);
// blank lines and lines starting with # are skipped.
func keyValueLines(what, text string) (map[string]string, error) {
	return kvLines(what, text, true)
}

// kvLines reads KEY=VALUE lines; quote puts a malformed line in the error.
func kvLines(what, text string, quote bool) (map[string]string, error) {
	var m map[string]string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, val, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			if !quote {
				return nil, apierr.Invalid("line %d of the %ss is not KEY=VALUE", i+1, what)
			}
			return nil, apierr.Invalid("line %d of the %ss is not KEY=VALUE: %q", i+1, what, line)
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = val
	}
	return m, nil
}
