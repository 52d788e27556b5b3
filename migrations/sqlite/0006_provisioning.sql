-- Provisioning over SCIM 2.0: each organisation's provisioning clients
-- (a bearer token kept only as its SHA-256 digest, revocable), and what
-- an organisation's identity management owns in an account.

CREATE TABLE provisioning_clients (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    name          TEXT NOT NULL,
    networks      TEXT NOT NULL,
    token_digest  TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX provisioning_clients_by_org ON provisioning_clients (org_id);

-- The organisation whose identity management owns the account (NULL: by
-- hand), its id for the person (unique within that organisation), and
-- when the account's data last changed.
ALTER TABLE accounts ADD COLUMN managed_by TEXT;
ALTER TABLE accounts ADD COLUMN external_id TEXT;
ALTER TABLE accounts ADD COLUMN updated_at BIGINT;
CREATE UNIQUE INDEX accounts_by_external_id ON accounts (external_id, managed_by);
CREATE INDEX accounts_by_email ON accounts (LOWER(email));
