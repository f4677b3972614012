// Package hostaccount creates and removes a platform user's Linux account
// on the Docker host, idempotently, and never touches an account that is
// not ours.
//
// Ownership: every account the provisioner creates carries the comment
// (GECOS) "dockeronline/<platform user id>" and joins the platform group.
// The comment is the proof: an existing account is ours only if its comment
// names this very user and its uid is not a system uid. (The comment cannot
// use ':' — it separates passwd fields, and useradd refuses it.)
package hostaccount

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/provisioner/hostcmd"
	"github.com/dockeronline/platform/services/provisioner/sshclient"
)

const tracerName = "github.com/dockeronline/platform/services/provisioner/hostaccount"

// MarkerPrefix starts the comment of every account the provisioner made.
const MarkerPrefix = "dockeronline/"

// Marker is the comment that marks userID's account as ours.
func Marker(userID string) string { return MarkerPrefix + userID }

// Sentinel errors. ErrInvalidName, ErrNotOurs and ErrNameTaken are
// permanent: retrying cannot help until a person changes something.
var (
	ErrInvalidName = errors.New("refused before connecting to the host")
	ErrNotOurs     = errors.New("host account exists and is not managed by Docker Online")
	ErrNameTaken   = errors.New("the name is taken on the host by a group that is not ours")
	// ErrOtherUser: the account is ours but marked for another platform
	// user, typically one deleted whose removal is still on its way.
	ErrOtherUser = errors.New("host account belongs to another Docker Online user")
)

// Permanent reports whether err cannot be cured by retrying.
func Permanent(err error) bool {
	return errors.Is(err, ErrInvalidName) || errors.Is(err, ErrNotOurs) || errors.Is(err, ErrNameTaken)
}

// CommandError is a host command that ran and failed unexpectedly.
type CommandError struct {
	Argv   []string
	Status int
	Stderr string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s exited with status %d: %s", program(e.Argv), e.Status, strings.TrimSpace(e.Stderr))
}

// program names the command without its arguments (sudo's prefix skipped).
func program(argv []string) string {
	if len(argv) > 3 && argv[0] == "sudo" {
		return argv[3]
	}
	return argv[0]
}

// Runner runs a command on the host; *sshclient.Client is one.
type Runner interface {
	Run(ctx context.Context, argv []string) (sshclient.Result, error)
}

// Manager manages accounts on one host.
type Manager struct {
	run    Runner
	cmds   hostcmd.Options
	minUID int
	log    *slog.Logger
}

// New returns a Manager; accounts with a uid below minUID (system
// accounts) are never ours, whatever their comment says.
func New(run Runner, cmds hostcmd.Options, minUID int, log *slog.Logger) (*Manager, error) {
	if err := cmds.Validate(); err != nil {
		return nil, err
	}
	return &Manager{run: run, cmds: cmds, minUID: minUID, log: log}, nil
}

var userIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate checks both names with the rules of accounts, before anything
// reaches the host. The user id goes into the account's comment.
func Validate(userID, username string) error {
	if err := names.ValidateUsername(username); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidName, err)
	}
	if !userIDRE.MatchString(userID) {
		return fmt.Errorf("%w: user id %q must match %s", ErrInvalidName, userID, userIDRE)
	}
	return nil
}

// Ensure makes sure userID's account exists: created when missing, left as
// it is when it is already ours, refused when it exists and is not ours.
func (m *Manager) Ensure(ctx context.Context, userID, username string) (err error) {
	ctx, end := m.span(ctx, "hostaccount.ensure", userID, username)
	defer func() { end(err) }()
	if err := Validate(userID, username); err != nil {
		return err
	}
	entry, found, err := m.lookup(ctx, username)
	if err != nil {
		return err
	}
	if found {
		if err := m.owned(entry, userID); err != nil {
			return err
		}
	} else if err := m.create(ctx, userID, username); err != nil {
		return err
	}
	// Also on an account that existed: a previous attempt may have created
	// it and stopped before these.
	return m.extras(ctx, username)
}

func (m *Manager) create(ctx context.Context, userID, username string) error {
	if err := m.mustSucceed(ctx, m.cmds.EnsureGroup()); err != nil {
		return err
	}
	argv := m.cmds.AddUser(username, Marker(userID))
	res, err := m.run.Run(ctx, argv)
	if err != nil {
		return err
	}
	switch res.ExitStatus {
	case 0:
		m.log.InfoContext(ctx, "host account created", "user_id", userID, "username", username)
		return nil
	case hostcmd.ExitUseraddInUse:
		// Someone made the account meanwhile (another attempt, a person),
		// or a group already has the name.
		entry, found, err := m.lookup(ctx, username)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: %s", ErrNameTaken, strings.TrimSpace(res.Stderr))
		}
		return m.owned(entry, userID)
	default:
		return &CommandError{Argv: argv, Status: res.ExitStatus, Stderr: res.Stderr}
	}
}

func (m *Manager) extras(ctx context.Context, username string) error {
	for _, argv := range [][]string{m.cmds.SetQuota(username), m.cmds.EnableLinger(username)} {
		if argv == nil {
			continue
		}
		if err := m.mustSucceed(ctx, argv); err != nil {
			return err
		}
	}
	return nil
}

// Remove makes sure userID's account is gone: removed with its home when it
// is ours, nothing to do when it is missing, refused when it is not ours.
func (m *Manager) Remove(ctx context.Context, userID, username string) (err error) {
	ctx, end := m.span(ctx, "hostaccount.remove", userID, username)
	defer func() { end(err) }()
	if err := Validate(userID, username); err != nil {
		return err
	}
	entry, found, err := m.lookup(ctx, username)
	if err != nil || !found {
		return err
	}
	if err := m.owned(entry, userID); err != nil {
		return err
	}
	if argv := m.cmds.DisableLinger(username); argv != nil {
		if err := m.mustSucceed(ctx, argv); err != nil {
			return err
		}
	}
	argv := m.cmds.DelUser(username)
	res, err := m.run.Run(ctx, argv)
	if err != nil {
		return err
	}
	switch res.ExitStatus {
	case 0, hostcmd.ExitUserdelMissing:
		m.log.InfoContext(ctx, "host account removed", "user_id", userID, "username", username)
		return nil
	case hostcmd.ExitUserdelNoHome:
		// The account is gone, which is what was asked; the home is left
		// for a person to look at.
		m.log.WarnContext(ctx, "host account removed but not its home", "user_id", userID, "username", username,
			"stderr", strings.TrimSpace(res.Stderr))
		return nil
	default:
		return &CommandError{Argv: argv, Status: res.ExitStatus, Stderr: res.Stderr}
	}
}

// lookup reads the account's passwd entry.
func (m *Manager) lookup(ctx context.Context, username string) (hostcmd.PasswdEntry, bool, error) {
	argv := m.cmds.Lookup(username)
	res, err := m.run.Run(ctx, argv)
	if err != nil {
		return hostcmd.PasswdEntry{}, false, err
	}
	switch res.ExitStatus {
	case 0:
		e, err := hostcmd.ParsePasswd(res.Stdout)
		if err != nil {
			return e, false, err
		}
		if e.Name != username {
			return e, false, fmt.Errorf("getent passwd %s returned the entry of %q", username, e.Name)
		}
		return e, true, nil
	case hostcmd.ExitGetentNotFound:
		return hostcmd.PasswdEntry{}, false, nil
	default:
		return hostcmd.PasswdEntry{}, false, &CommandError{Argv: argv, Status: res.ExitStatus, Stderr: res.Stderr}
	}
}

// owned checks that an existing account is userID's.
func (m *Manager) owned(e hostcmd.PasswdEntry, userID string) error {
	switch {
	case e.UID < m.minUID:
		return fmt.Errorf("%w: %s is a system account (uid %d)", ErrNotOurs, e.Name, e.UID)
	case e.Comment == Marker(userID):
		return nil
	case strings.HasPrefix(e.Comment, MarkerPrefix):
		return fmt.Errorf("%w: %s is marked for user id %s", ErrOtherUser, e.Name, strings.TrimPrefix(e.Comment, MarkerPrefix))
	default:
		return fmt.Errorf("%w: %s (uid %d, comment %q)", ErrNotOurs, e.Name, e.UID, e.Comment)
	}
}

func (m *Manager) mustSucceed(ctx context.Context, argv []string) error {
	res, err := m.run.Run(ctx, argv)
	if err != nil {
		return err
	}
	if res.ExitStatus != 0 {
		return &CommandError{Argv: argv, Status: res.ExitStatus, Stderr: res.Stderr}
	}
	return nil
}

// span starts a span for one account operation; end records its outcome.
func (m *Manager) span(ctx context.Context, name, userID, username string) (context.Context, func(error)) {
	ctx, span := otel.Tracer(tracerName).Start(ctx, name, trace.WithAttributes(
		attribute.String("user.id", userID), attribute.String("user.name", username)))
	return ctx, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}
