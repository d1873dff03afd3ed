-- API tokens for writes. The secret is never stored: only its sha256.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL UNIQUE,  -- the public part of the token (`na_XXXXXXXX`), shown in lists
    secret_hash TEXT NOT NULL,         -- sha256 of the whole token, hex
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
