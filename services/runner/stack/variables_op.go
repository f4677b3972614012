package stack

import (
	"context"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/access"
	"github.com/dockeronline/platform/services/runner/build"
)

// Variables lists the variables a compose file interpolates — name,
// default, required, where used — and the value the uploaded project's
// .env gives each, for the stack form to show an input per variable as
// Portainer does. The file is measured (scanCompose) before it is read,
// and the upload is judged and unpacked as up does; nothing is deployed.
func (s *service) Variables(ctx context.Context, req msg.StackVariablesRequest) (msg.StackVariables, error) {
	c, err := access.Caller(ctx)
	if err != nil {
		return msg.StackVariables{}, err
	}
	lim := s.opts.Input
	if req.Compose == "" {
		return msg.StackVariables{}, apierr.Invalid("compose is required: the compose file's YAML")
	}
	if len(req.Compose) > lim.MaxBytes {
		return msg.StackVariables{}, apierr.Policy(RuleComposeSize, "the compose file is %d KB, more than the %d KB a stack may send", len(req.Compose)>>10, lim.MaxBytes>>10)
	}
	arch := build.NewArchive()
	if req.Context != "" {
		release, err := s.unpacks.acquire(ctx)
		if err != nil {
			return msg.StackVariables{}, err
		}
		defer release()
		raw, err := build.FetchUpload(ctx, s.js, c, req.Context, s.opts.Build.MaxContext())
		if err != nil {
			return msg.StackVariables{}, err
		}
		if err := countEntries(raw, maxUploadEntries, s.opts.Build.MaxUnpacked()); err != nil {
			return msg.StackVariables{}, err
		}
		if arch, err = build.Unpack(raw, s.opts.Build.MaxUnpacked()); err != nil {
			return msg.StackVariables{}, err
		}
	}
	dir, err := newProjectDir(s.opts.WorkDir, arch, []byte(req.Compose))
	if err != nil {
		return msg.StackVariables{}, err
	}
	defer dir.remove()
	dotEnv, err := dir.readDotEnv(nil)
	if err != nil {
		return msg.StackVariables{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, lim.LoadTimeout)
	defer cancel()
	release, err := s.loads.acquire(ctx)
	if err != nil {
		return msg.StackVariables{}, err
	}
	defer release()
	if err := scanCompose(dir.path, []byte(req.Compose), dotEnv, lim); err != nil {
		return msg.StackVariables{}, err
	}
	return listVariables([]byte(req.Compose), dotEnv)
}
