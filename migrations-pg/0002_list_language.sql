-- The language a list's pages speak to readers whose browser names none of the shipped
-- ones (`larch list-set --language`, or `language` in larch.toml), as Mailman's
-- "preferred language" of a list; NULL is the site's default.
ALTER TABLE lists ADD COLUMN language TEXT;
