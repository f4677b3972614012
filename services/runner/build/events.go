package build

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// publish tells the platform an image was built (evt.image.build), so live
// image lists refresh. Best effort: the image exists either way.
func (s *service) publish(ctx context.Context, c identity.Caller, ref, imageID string) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	ev := msg.ImageEvent{EventID: hex.EncodeToString(b), Action: "build", Ref: ref, ImageID: imageID,
		Owner: c.UserID, Username: c.Username, Time: time.Now().UTC()}
	if err := bus.PublishEvent(ctx, s.js, subjects.ImageEvent("build"), ev.EventID, ev); err != nil {
		s.log.WarnContext(ctx, "image event not published", "action", "build", "image", ref, "err", err)
	}
}
