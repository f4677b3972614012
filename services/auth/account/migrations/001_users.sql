-- Platform users. The id is the Kratos identity id; the username names the
-- user's Linux account, Docker objects and web links, so it never changes.
CREATE TABLE users (
    id                 text PRIMARY KEY,
    username           text NOT NULL UNIQUE,
    email              text NOT NULL,
    role               text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    disabled           boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_login         timestamptz,
    -- false until evt.user.created is acknowledged by JetStream: a crash in
    -- between is repaired on the user's next request (an outbox of one).
    created_event_sent boolean NOT NULL DEFAULT false
);
