-- What each API token may do, and until when.
--
-- `scopes`: the token's scopes, separated by spaces, from `read`, `articles`,
-- `feeds`, `metrics` and `admin` (which allows everything). A token with no
-- scopes may do nothing.
--
-- EXISTING TOKENS BECOME ADMIN TOKENS: before this migration every token
-- could make every write, so each token made before it gets the `admin`
-- scope and keeps working as it did (it may now also read /metrics and the
-- followed feeds, which need a token from this version on). Make narrower
-- tokens with `newsarchive token create --scope ...` and revoke the old ones.
--
-- `expires_at`: RFC 3339, UTC; NULL for a token that does not expire. Tokens
-- made before this migration do not expire.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
UPDATE api_tokens SET scopes = 'admin';
