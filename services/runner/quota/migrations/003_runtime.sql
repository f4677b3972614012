-- The OCI runtime an admin chose for a user (runc, or runsc: gVisor); NULL
-- means the platform default (RUNNER_RUNTIME). Never set by the user.
ALTER TABLE quotas ADD COLUMN runtime text CHECK (runtime IN ('runc', 'runsc'));
