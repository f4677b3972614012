-- Per-user quota overrides set by admins; a NULL column means the platform
-- default (RUNNER_QUOTA_* settings). Usage is never stored: Docker is the
-- truth and is counted under a per-user lock at each create.
CREATE TABLE quotas (
    user_id        text PRIMARY KEY,
    max_containers integer CHECK (max_containers >= 0),
    max_memory_mb  bigint CHECK (max_memory_mb >= 0),
    max_cpus       double precision CHECK (max_cpus >= 0),
    max_volumes    integer CHECK (max_volumes >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
