package msg

import "time"

// ImageListRequest lists images; All (every image on the host, with who
// uses it) is honoured for admins only.
type ImageListRequest struct {
	All bool `json:"all,omitempty"`
}

// Image is an image on the Docker host as one caller may see it. Tags holds
// only the references the caller put there (pulled, built, or used by one
// of their containers): another user's tags of the same image are not shown.
type Image struct {
	ID      string    `json:"id"`
	Tags    []string  `json:"tags"`
	Digests []string  `json:"digests,omitempty"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
	// Pulled lists the caller's pulled references of this image.
	Pulled []string `json:"pulled,omitempty"`
	// Containers are the names of the caller's containers using the image.
	Containers []string `json:"containers,omitempty"`
	// Owner is the user id of the user who built the image, for images built
	// on the platform (they live in that user's namespace "<user>/<name>").
	Owner string `json:"owner,omitempty"`
	// Users are the usernames referencing the image (admins' "all" list).
	Users []string `json:"users,omitempty"`
}

// ImageList is the reply to a list.
type ImageList struct {
	Images []Image `json:"images"`
}

// ImagePullRequest pulls an image; the reply is a JobStarted whose job has
// kind JobImagePull.
type ImagePullRequest struct {
	Image string `json:"image"`
}

// ImagePullResult is the result of a finished pull job.
type ImagePullResult struct {
	Image  string `json:"image"`  // the reference pulled, e.g. "127.0.0.1:5000/app:1"
	ID     string `json:"id"`     // the local image id
	Digest string `json:"digest"` // the registry's manifest digest, when known
}

// LayerProgress is the progress payload of a pull job: one line of Docker's
// pull output. ID is the layer (empty for whole-image lines such as
// "Pulling from …" or "Digest: …"); Current and Total are bytes when known.
type LayerProgress struct {
	ID      string `json:"id,omitempty"`
	Status  string `json:"status"`
	Current int64  `json:"current,omitempty"`
	Total   int64  `json:"total,omitempty"`
}

// ImageRef names an image by reference ("registry/repo:tag", "repo@digest",
// or, for admins, an image id).
type ImageRef struct {
	Ref string `json:"ref"`
}

// ImageRemoveResult says what a remove did. Deleted is true when the
// reference left the Docker host; false when it stays because other users
// still reference or use it (the caller's reference is dropped either way).
type ImageRemoveResult struct {
	Ref     string `json:"ref"`
	Deleted bool   `json:"deleted"`
	Message string `json:"message"`
}

// ImageEvent is the payload of evt.image.<action> (pull, remove).
type ImageEvent struct {
	EventID  string    `json:"event_id"`
	Action   string    `json:"action"`
	Ref      string    `json:"ref"`
	ImageID  string    `json:"image_id,omitempty"`
	Owner    string    `json:"owner"`
	Username string    `json:"username"`
	Time     time.Time `json:"time"`
}
