-- The audit log: every state-changing API action, as the gateway published
-- it on evt.audit.>. id is the event id: storing a redelivered event again
-- is a no-op. seq orders the log and pages it (newest first).
CREATE TABLE audit_log (
    seq        bigserial PRIMARY KEY,
    id         text NOT NULL UNIQUE,
    at         timestamptz NOT NULL,
    user_id    text NOT NULL,
    username   text NOT NULL,
    role       text NOT NULL,
    action     text NOT NULL,
    target     text NOT NULL DEFAULT '',
    path       text NOT NULL,
    status     integer NOT NULL,
    error_code text NOT NULL DEFAULT '',
    trace_id   text NOT NULL DEFAULT '',
    remote_ip  text NOT NULL DEFAULT '',
    stored_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_user_seq ON audit_log (user_id, seq DESC);
