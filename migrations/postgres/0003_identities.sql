-- Identity links (an external source's subject -> an account; Suomi.fi
-- subjects are keyed hashes of the identity code, never the code) and the
-- professional profile a person gives at first login.

CREATE TABLE identity_links (
    source        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    PRIMARY KEY (source, subject)
);
CREATE INDEX identity_links_by_account ON identity_links (account_id);

CREATE TABLE profiles (
    account_id         TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    profession_group   TEXT NOT NULL,
    wellbeing_area     TEXT,
    home_municipality  TEXT,
    updated_at         BIGINT NOT NULL
);

CREATE TABLE profile_organisations (
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (account_id, org_id)
);
