-- Tombstones of deleted users: a session check that raced the deletion
-- must not insert the user again (and announce it again). Kratos ids are
-- never reused, so a tombstone is forever.
CREATE TABLE deleted_users (
    id         text PRIMARY KEY,
    username   text NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now()
);

-- Bumped on every disable/enable, so each of those events gets its own id
-- (evt.user.disabled is de-duplicated by id).
ALTER TABLE users ADD COLUMN state_version bigint NOT NULL DEFAULT 0;
