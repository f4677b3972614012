package image

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

// publish tells the platform an image was pulled or removed
// (evt.image.<action>), so live lists refresh. Best effort: the change is
// already made, and Docker remains the truth a list reads.
func (s *service) publish(ctx context.Context, action string, c identity.Caller, ref, imageID string) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	ev := msg.ImageEvent{EventID: hex.EncodeToString(b), Action: action, Ref: ref, ImageID: imageID,
		Owner: c.UserID, Username: c.Username, Time: time.Now().UTC()}
	if err := bus.PublishEvent(ctx, s.js, subjects.ImageEvent(action), ev.EventID, ev); err != nil {
		s.log.WarnContext(ctx, "image event not published", "action", action, "image", ref, "err", err)
	}
}
