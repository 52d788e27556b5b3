-- The directory: organisations, accounts, memberships, liaison contacts,
-- audit trail and signing keys.

CREATE TABLE organisations (
    id            TEXT PRIMARY KEY,
    oid           TEXT NOT NULL UNIQUE,
    business_id   TEXT NOT NULL,
    name_fi       TEXT NOT NULL,
    name_sv       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    municipality  TEXT,
    networks      TEXT NOT NULL DEFAULT ''
);

CREATE TABLE accounts (
    id                    TEXT PRIMARY KEY,
    username              TEXT NOT NULL,
    username_key          TEXT NOT NULL UNIQUE,
    given_name            TEXT NOT NULL,
    family_name           TEXT NOT NULL,
    email                 TEXT,
    phone                 TEXT,
    title                 TEXT,
    status                TEXT NOT NULL DEFAULT 'active',
    status_reason         TEXT,
    password_hash         TEXT,
    must_change_password  BIGINT NOT NULL DEFAULT 0,
    failed_logins         BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    last_login_at         BIGINT
);

CREATE TABLE memberships (
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    network     TEXT NOT NULL,
    role        TEXT NOT NULL,
    PRIMARY KEY (account_id, org_id, network, role)
);
CREATE INDEX memberships_by_org ON memberships (org_id, network);

CREATE TABLE liaison_contacts (
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    network     TEXT NOT NULL,
    name        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    PRIMARY KEY (account_id, org_id, network)
);
CREATE INDEX liaison_contacts_by_org ON liaison_contacts (org_id);

CREATE TABLE audit_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT,
    org_id     TEXT,
    source_ip  TEXT,
    reason     TEXT,
    detail     TEXT
);
CREATE INDEX audit_by_subject ON audit_events (subject, id);

CREATE TABLE signing_keys (
    kid                TEXT PRIMARY KEY,
    alg                TEXT NOT NULL,
    encrypted_private  BYTEA NOT NULL,
    public_jwk         TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    activate_at        BIGINT NOT NULL,
    retire_at          BIGINT
);
