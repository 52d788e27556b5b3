-- Passkeys (WebAuthn credentials). The public key is the COSE_Key as the
-- authenticator encoded it; the counter only counts up (a cloned
-- authenticator is refused); registered_loa caps what a login with it
-- gives.

CREATE TABLE passkeys (
    credential_id    TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    public_key       BYTEA NOT NULL,
    alg              BIGINT NOT NULL,
    sign_count       BIGINT NOT NULL DEFAULT 0,
    backup_eligible  BIGINT NOT NULL DEFAULT 0,
    backed_up        BIGINT NOT NULL DEFAULT 0,
    user_verified    BIGINT NOT NULL DEFAULT 0,
    registered_loa   TEXT NOT NULL,
    aaguid           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    last_used_at     BIGINT
);
CREATE INDEX passkeys_by_account ON passkeys (account_id);
