-- The person's own password before a reset: a forced change may not
-- bring it back (nor keep the one-time password).

ALTER TABLE accounts ADD COLUMN previous_password_hash TEXT;
