-- The list's posting address as its admin configured it (`larch list-set --post-address`,
-- or `post_address` in larch.toml): the Reply link's recipient for messages that carry no
-- `List-Post` header (most mail archived before RFC 2369, and every message imported before
-- the header was kept).
ALTER TABLE lists ADD COLUMN post_address TEXT;
