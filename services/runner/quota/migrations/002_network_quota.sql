-- Networks a user may make (issue 14): ~30 networks exhaust Docker's
-- address pools for everyone. NULL means the platform default
-- (RUNNER_QUOTA_NETWORKS).
ALTER TABLE quotas ADD COLUMN max_networks integer CHECK (max_networks >= 0);
