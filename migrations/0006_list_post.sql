-- The list's posting address from the message's List-Post header (`<mailto:...>`), for
-- the Reply link of its page.
ALTER TABLE messages ADD COLUMN list_post TEXT;
