-- Administration: operators (the regional service desk), second factors,
-- and indexes for the admin views and the public liaison directory.

CREATE TABLE operators (
    account_id  TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL
);

-- TOTP secret, encrypted with the key-encryption key.
ALTER TABLE accounts ADD COLUMN totp_secret BLOB;

CREATE INDEX accounts_by_family_name ON accounts (family_name, given_name);
CREATE INDEX audit_by_org ON audit_events (org_id, id);
CREATE INDEX audit_by_actor ON audit_events (actor, id);
CREATE INDEX audit_by_time ON audit_events (at);
