-- Prefix searches of provisioning (SCIM `sw` on userName, externalId and
-- emails) compare in the "C" collation (byte order), which these indexes
-- answer whatever the database's own collation is.
CREATE INDEX accounts_by_username_c ON accounts (username_key COLLATE "C");
CREATE INDEX accounts_by_external_id_c ON accounts (external_id COLLATE "C");
CREATE INDEX accounts_by_email_c ON accounts ((LOWER(email)) COLLATE "C");
