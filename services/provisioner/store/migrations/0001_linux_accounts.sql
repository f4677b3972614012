-- One row per platform user the provisioner has heard of: what the last
-- event asked (operation) and how far it got (state).
CREATE TABLE provisioner.linux_accounts (
	user_id       text PRIMARY KEY,
	username      text NOT NULL,
	operation     text NOT NULL CHECK (operation IN ('create', 'delete')),
	state         text NOT NULL CHECK (state IN ('pending', 'ready', 'failed', 'removed', 'disabled')),
	reason        text NOT NULL DEFAULT '',
	attempts      integer NOT NULL DEFAULT 0,
	last_event_id text NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now()
);

-- A username names at most one live account. A removed account's row stays
-- as a tombstone (a late or replayed creation event never brings a deleted
-- user back) and frees its name for a new user.
CREATE UNIQUE INDEX linux_accounts_username_live
	ON provisioner.linux_accounts (username) WHERE state <> 'removed';

CREATE INDEX linux_accounts_state ON provisioner.linux_accounts (state);

-- Events the provisioner stopped retrying: parked (the host account is not
-- ours, the name is refused) or still failing at the redelivery limit.
-- The payload is kept as received, for a person to read.
CREATE TABLE provisioner.dead_letters (
	id         bigserial PRIMARY KEY,
	subject    text NOT NULL,
	event_id   text NOT NULL DEFAULT '',
	user_id    text NOT NULL DEFAULT '',
	username   text NOT NULL DEFAULT '',
	reason     text NOT NULL,
	deliveries integer NOT NULL,
	stream_seq bigint NOT NULL DEFAULT 0,
	payload    bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX dead_letters_created_at ON provisioner.dead_letters (created_at DESC);

-- A message is dead-lettered once, even if recording it is retried.
CREATE UNIQUE INDEX dead_letters_message
	ON provisioner.dead_letters (subject, stream_seq) WHERE stream_seq > 0;
