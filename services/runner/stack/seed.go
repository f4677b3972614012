package stack

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

// seedImage is the image of the containers that fill volumes: an empty
// image (no layer content, no command) the runner imports itself on the
// engine it uses; its containers are created and never started, so no
// process runs. Its registry, under the reserved .invalid domain, can
// never be pulled from, and users only tag images in their own namespace,
// so only the runner makes an image of that name; labelSeed marks it, and
// it is checked before use.
const (
	seedImage  = "dockeronline.invalid/seed:1"
	labelSeed  = policy.LabelPrefix + "seed"
	seedTarget = "/seed"
)

// seedImageOnce serialises the first import on a runner (a second import
// would be harmless, only wasted).
var seedImageMu sync.Mutex

// seed creates the volumes translateFiles made (with the owner's labels,
// Compose's, and the path they stand for), on the engine that will run
// the stack, and copies the project folders' files into those that have
// some. It runs on every deploy: on a redeploy the project's files are
// copied again over the volume (the project is the source of its own
// files), while files the containers wrote stay.
func (s *service) seed(ctx context.Context, t policy.Tenant, p *types.Project, seeds []seed, pr *progress) error {
	for _, sd := range seeds {
		v, ok := p.Volumes[sd.key]
		if !ok {
			continue // no service uses it any more
		}
		if err := s.seedVolume(ctx, t, p.Name, sd, v); err != nil {
			return err
		}
		if sd.files == nil {
			continue
		}
		if err := s.fill(ctx, v.Name, sd); err != nil {
			return err
		}
		pr.send(msg.StackProgress{Resource: "Volume " + v.Name, Status: "Seeded", Text: "from " + sd.from})
	}
	return nil
}

// seedVolume makes sure volume v exists and is the owner's.
func (s *service) seedVolume(ctx context.Context, t policy.Tenant, project string, sd seed, v types.VolumeConfig) error {
	res, err := s.docker.VolumeInspect(ctx, v.Name, client.VolumeInspectOptions{})
	switch {
	case err == nil:
		if res.Volume.Labels[policy.LabelOwner] != t.UserID {
			return apierr.Policy(policy.RuleVolumes, "volume %q is not one of your volumes", v.Name)
		}
		return nil
	case !cerrdefs.IsNotFound(err):
		return engine.FromDocker("inspect volume "+v.Name, err)
	}
	labels := maps.Clone(map[string]string(v.Labels))
	if labels == nil || labels[policy.LabelOwner] != t.UserID {
		return apierr.New(apierr.CodeInternal, "volume %q has no owner labels", v.Name)
	}
	// Compose's own labels, so it takes the volume for its own.
	labels[api.ProjectLabel], labels[api.VolumeLabel], labels[api.VersionLabel] = project, sd.key, api.ComposeVersion
	labels[LabelBind] = sd.from
	if _, err := s.docker.VolumeCreate(ctx, client.VolumeCreateOptions{Name: v.Name, Driver: "local", Labels: labels}); err != nil {
		return engine.FromDocker("create volume "+v.Name, err)
	}
	return nil
}

// fill copies files into volume through a container that mounts it, is
// created from the seed image and never started, and is removed after.
func (s *service) fill(ctx context.Context, volume string, sd seed) error {
	img, err := s.seedImage(ctx)
	if err != nil {
		return err
	}
	cr, err := s.docker.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: img, Cmd: []string{seedTarget}, Labels: map[string]string{labelSeed: volume}, NetworkDisabled: true},
		HostConfig: &container.HostConfig{
			NetworkMode: network.NetworkNone,
			// NoCopy: the image has nothing to give; the volume gets the project's files only.
			Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: volume, Target: seedTarget, VolumeOptions: &mount.VolumeOptions{NoCopy: true}}},
		},
	})
	if err != nil {
		return engine.FromDocker("create the container seeding "+volume, err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, err := s.docker.ContainerRemove(rctx, cr.ID, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			s.log.ErrorContext(rctx, "could not remove a seeding container", "container", cr.ID, "volume", volume, "err", err)
		}
	}()
	r, w := io.Pipe()
	go func() { w.CloseWithError(writeSeed(w, sd)) }()
	defer r.Close()
	_, err = s.docker.CopyToContainer(ctx, cr.ID, client.CopyToContainerOptions{
		// From the root, so the archive's first entry (the mount point)
		// gives the volume's own folder its owner.
		DestinationPath: "/", Content: r, CopyUIDGID: true,
		// The project's files replace what is in their way.
		AllowOverwriteDirWithFile: true,
	})
	if err != nil {
		return engine.FromDocker("copy the project's files into "+volume, err)
	}
	return nil
}

// writeSeed writes the mount point, then the archive's entries beneath it,
// with fresh headers: names, permission bits and link targets as checked
// at upload (relative, without ".."), owned by the seed's owner.
func writeSeed(w io.Writer, sd seed) error {
	tw := tar.NewWriter(w)
	now := time.Now()
	top := strings.TrimPrefix(seedTarget, "/")
	if err := tw.WriteHeader(&tar.Header{Name: top + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: now, Uid: sd.uid, Gid: sd.gid, Format: tar.FormatPAX}); err != nil {
		return err
	}
	for _, e := range sd.files.Entries {
		h := &tar.Header{Name: top + "/" + e.Header.Name, Typeflag: e.Header.Typeflag, Mode: e.Header.Mode & 0o777, ModTime: now, Uid: sd.uid, Gid: sd.gid, Format: tar.FormatPAX}
		switch h.Typeflag {
		case tar.TypeReg:
			h.Size = int64(len(e.Data))
		case tar.TypeDir:
			h.Mode |= 0o700
		case tar.TypeSymlink:
			h.Linkname = e.Header.Linkname
		default:
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.Data); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// seedImage is the ID of the seed image on the runner's engine, imported
// on first use.
func (s *service) seedImage(ctx context.Context) (string, error) {
	seedImageMu.Lock()
	defer seedImageMu.Unlock()
	res, err := s.docker.ImageInspect(ctx, seedImage)
	if cerrdefs.IsNotFound(err) {
		var empty bytes.Buffer
		_ = tar.NewWriter(&empty).Close()
		out, ierr := s.docker.ImageImport(ctx, client.ImageImportSource{Source: &empty, SourceName: "-"}, seedImage,
			client.ImageImportOptions{Changes: []string{"LABEL " + labelSeed + "=image"}, Message: "Docker Online: fills volumes, never runs"})
		if ierr != nil {
			return "", engine.FromDocker("import the seed image", ierr)
		}
		_, _ = io.Copy(io.Discard, out)
		_ = out.Close()
		res, err = s.docker.ImageInspect(ctx, seedImage)
	}
	if err != nil {
		return "", engine.FromDocker("inspect the seed image", err)
	}
	if cfg := res.Config; cfg == nil || cfg.Labels[labelSeed] != "image" || len(cfg.Volumes) > 0 || cfg.Cmd != nil || cfg.Entrypoint != nil {
		return "", apierr.New(apierr.CodeInternal, "image %s is not the platform's seed image: remove it", seedImage)
	}
	return res.ID, nil
}
