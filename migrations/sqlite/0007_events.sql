-- Signed events: the outbox (written in the same transaction as the
-- change and its audit record), each subscriber's cursor into it, and one
-- delivery per event and subscriber with its attempts and next try.

CREATE TABLE event_outbox (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       BIGINT NOT NULL,
    type     TEXT NOT NULL,
    org_id   TEXT,
    subject  TEXT,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL
);

CREATE TABLE event_cursors (
    subscriber  TEXT PRIMARY KEY,
    last_id     BIGINT NOT NULL
);

CREATE TABLE event_deliveries (
    subscriber    TEXT NOT NULL,
    event_id      BIGINT NOT NULL REFERENCES event_outbox(id),
    state         TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    next_at       BIGINT NOT NULL,
    last_status   BIGINT,
    last_error    TEXT,
    delivered_at  BIGINT,
    PRIMARY KEY (subscriber, event_id)
);
CREATE INDEX event_deliveries_due ON event_deliveries (subscriber, state, next_at);
CREATE INDEX event_deliveries_by_state ON event_deliveries (state, event_id);
