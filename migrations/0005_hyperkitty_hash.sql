-- HyperKitty's hash of each message's Message-ID (base32 of SHA-1), for the URLs of
-- archives that come from Mailman 3. Filled at insert; rows from before this column are
-- filled by the store when it opens.
ALTER TABLE messages ADD COLUMN hk_hash TEXT;
CREATE INDEX messages_hk_hash ON messages(hk_hash);
