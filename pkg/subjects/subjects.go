// Package subjects names every NATS subject the platform uses, in one place.
//
// Each subject is written out literally in the comment beside it so a grep for
// the wire name lands here. Paired helpers build a concrete subject and the
// pattern that subscribes to it, so publishers and subscribers cannot drift.
package subjects

// Commands: core NATS request/reply, served by a queue group so several
// instances of a service can share the load. Only the gateway publishes cmd.>.
const (
	// AuthSessionCheck is "cmd.auth.session.check": resolve a Kratos session
	// (cookie or token) to a platform user.
	AuthSessionCheck = "cmd.auth.session.check"
	// AuthAll is "cmd.auth.>", what the auth service subscribes to.
	AuthAll = "cmd.auth.>"
	// AuthQueue is the queue group of the auth service.
	AuthQueue = "auth"

	// ProvisionerStatus is "cmd.provisioner.status": Linux account states of
	// some users (for GET /me and the admin user list).
	ProvisionerStatus = "cmd.provisioner.status"
	// ProvisionerRetry is "cmd.provisioner.retry": an admin retries a failed
	// or parked account.
	ProvisionerRetry = "cmd.provisioner.retry"
	// ProvisionerQueue is the queue group of the provisioner.
	ProvisionerQueue = "provisioner"

	runnerPrefix = "cmd.runner."
	// RunnerAll is "cmd.runner.>", what the runner subscribes to.
	RunnerAll = runnerPrefix + ">"
	// RunnerQueue is the queue group of the runner.
	RunnerQueue = "runner"
)

// RunnerOp is one operation the runner serves; the subject is
// "cmd.runner.<op>", e.g. "cmd.runner.container.create".
type RunnerOp string

// Runner operations.
const (
	ContainerCreate  RunnerOp = "container.create"  // cmd.runner.container.create
	ContainerList    RunnerOp = "container.list"    // cmd.runner.container.list
	ContainerGet     RunnerOp = "container.get"     // cmd.runner.container.get
	ContainerStart   RunnerOp = "container.start"   // cmd.runner.container.start
	ContainerStop    RunnerOp = "container.stop"    // cmd.runner.container.stop
	ContainerRestart RunnerOp = "container.restart" // cmd.runner.container.restart
	ContainerRemove  RunnerOp = "container.remove"  // cmd.runner.container.remove
	ContainerLogs    RunnerOp = "container.logs"    // cmd.runner.container.logs: stream to StreamOut
	TerminalOpen     RunnerOp = "terminal.open"     // cmd.runner.terminal.open: attach or create a TTY session

	VolumeList   RunnerOp = "volume.list"   // cmd.runner.volume.list
	VolumeCreate RunnerOp = "volume.create" // cmd.runner.volume.create
	VolumeRemove RunnerOp = "volume.remove" // cmd.runner.volume.remove

	NetworkList   RunnerOp = "network.list"   // cmd.runner.network.list
	NetworkCreate RunnerOp = "network.create" // cmd.runner.network.create
	NetworkRemove RunnerOp = "network.remove" // cmd.runner.network.remove

	ImageList   RunnerOp = "image.list"   // cmd.runner.image.list
	ImagePull   RunnerOp = "image.pull"   // cmd.runner.image.pull: starts a job
	ImageRemove RunnerOp = "image.remove" // cmd.runner.image.remove

	BuildStart RunnerOp = "build.start" // cmd.runner.build.start: starts a job

	StackUp   RunnerOp = "stack.up"   // cmd.runner.stack.up: starts a job
	StackDown RunnerOp = "stack.down" // cmd.runner.stack.down
	StackList RunnerOp = "stack.list" // cmd.runner.stack.list
	StackGet  RunnerOp = "stack.get"  // cmd.runner.stack.get
	// StackVariables lists the variables a compose file uses.
	StackVariables RunnerOp = "stack.variables" // cmd.runner.stack.variables

	UsageGet  RunnerOp = "usage.get"  // cmd.runner.usage.get: quota and usage of a user
	QuotaSet  RunnerOp = "quota.set"  // cmd.runner.quota.set: admins
	UserPurge RunnerOp = "user.purge" // cmd.runner.user.purge: remove every object of a user (admins)
	UserPause RunnerOp = "user.pause" // cmd.runner.user.pause: stop every container of a user (admins)
)

// RunnerRequestSubject is the subject a runner command is sent on.
func RunnerRequestSubject(op RunnerOp) string { return runnerPrefix + string(op) }

const authPrefix = "cmd.auth."

// AuthOp is one operation the auth service serves besides the session
// check; the subject is "cmd.auth.<op>", e.g. "cmd.auth.user.list".
type AuthOp string

// Auth operations (admin user management and the audit log).
const (
	UserList    AuthOp = "user.list"    // cmd.auth.user.list
	UserCreate  AuthOp = "user.create"  // cmd.auth.user.create
	UserDelete  AuthOp = "user.delete"  // cmd.auth.user.delete
	UserDisable AuthOp = "user.disable" // cmd.auth.user.disable
	UserEnable  AuthOp = "user.enable"  // cmd.auth.user.enable
	UserSetRole AuthOp = "user.role"    // cmd.auth.user.role
	AuditList   AuthOp = "audit.list"   // cmd.auth.audit.list
)

// AuthRequestSubject is the subject an auth command is sent on.
func AuthRequestSubject(op AuthOp) string { return authPrefix + string(op) }

// Events: facts that must not be lost, on the JetStream stream EventsStream,
// read by durable consumers with explicit ack. Every event carries an id that
// doubles as the JetStream de-duplication id (header Nats-Msg-Id).
const (
	// EventsStream is the JetStream stream holding every "evt.>" subject.
	EventsStream = "EVENTS"
	// EventsAll is "evt.>".
	EventsAll = "evt.>"

	// UserCreated is "evt.user.created": a platform user exists.
	UserCreated = "evt.user.created"
	// UserDeleted is "evt.user.deleted": a platform user is gone.
	UserDeleted = "evt.user.deleted"

	// ProvisionReady is "evt.provision.ready": the user's Linux account exists.
	ProvisionReady = "evt.provision.ready"
	// ProvisionFailed is "evt.provision.failed": provisioning failed or is parked.
	ProvisionFailed = "evt.provision.failed"
	// ProvisionRemoved is "evt.provision.removed": the Linux account is gone.
	ProvisionRemoved = "evt.provision.removed"
	// ProvisionEventsAll is "evt.provision.>".
	ProvisionEventsAll = "evt.provision.>"

	containerEventPrefix = "evt.container."
	// ContainerEventsAll is "evt.container.>".
	ContainerEventsAll = containerEventPrefix + ">"

	// UserDisabled is "evt.user.disabled" and UserEnabled "evt.user.enabled".
	UserDisabled = "evt.user.disabled"
	UserEnabled  = "evt.user.enabled"

	// VolumeEventsAll is "evt.volume.>" and ImageEventsAll "evt.image.>".
	VolumeEventsAll = "evt.volume.>"
	ImageEventsAll  = "evt.image.>"

	auditPrefix = "evt.audit."
	// AuditAll is "evt.audit.>": every state-changing action, published by
	// the gateway, stored by auth.
	AuditAll = auditPrefix + ">"
)

// VolumeEvent is "evt.volume.<action>" and ImageEvent "evt.image.<action>".
func VolumeEvent(action string) string { return "evt.volume." + action }

// ImageEvent is "evt.image.<action>".
func ImageEvent(action string) string { return "evt.image." + action }

// AuditEvent is "evt.audit.<action>", e.g. "evt.audit.container.create".
func AuditEvent(action string) string { return auditPrefix + action }

// RoutesBucket is the JetStream KV bucket holding the proxy's route table,
// keyed by host label ("web--alice", "web-8080--alice").
const RoutesBucket = "routes"

// LinkTicketsBucket is the KV bucket of redeemed private-link tickets,
// keyed by ticket id, kept a few minutes: every proxy redeems a ticket at
// most once, platform-wide. Written by the proxy only.
const LinkTicketsBucket = "link-tickets"

// ContainerEvent is "evt.container.<action>", e.g. "evt.container.start".
func ContainerEvent(action string) string { return containerEventPrefix + action }

// Jobs and terminals: high-volume, best-effort streams on core NATS.

// JobProgress is "job.<id>.progress": progress of a long job (pull, build, up).
func JobProgress(id string) string { return "job." + id + ".progress" }

// TermIn is "term.<session>.in": bytes and control frames from the browser.
func TermIn(session string) string { return "term." + session + ".in" }

// TermOut is "term.<session>.out": bytes from the container's TTY.
func TermOut(session string) string { return "term." + session + ".out" }

// StreamOut is "stream.<id>.out": chunks of a streamed reply (logs).
func StreamOut(id string) string { return "stream." + id + ".out" }

// StreamCtl is "stream.<id>.ctl": flow control and cancel from the reader.
func StreamCtl(id string) string { return "stream." + id + ".ctl" }

// ---- Jobs (pkg/jobs) --------------------------------------------------------
//
// Every job.<id>.progress message is stored in the JetStream stream
// JobsStream for a short while, so a reader that arrives late or reloads the
// page replays the job's whole history before following it live. The
// metadata of each job (owner, kind, state) lives in the KV bucket JobsBucket,
// keyed by job id, so the gateway can check who may read a job.
const (
	// JobsStream is the JetStream stream holding every "job.>" subject.
	JobsStream = "JOBS"
	// JobsAll is "job.>".
	JobsAll = "job.>"
	// JobsBucket is the KV bucket of job metadata, keyed by job id.
	JobsBucket = "jobs"
	// ImageRefsBucket is the KV bucket of the images each user pulled, keyed
	// "<user id>.<base64url of the image reference>" (see services/runner/image).
	ImageRefsBucket = "image-refs"
)
