"""Drives Mailman 3's archiver plugin, mailman-hyperkitty 1.2.1, as Mailman runs it, against
a larch server. Run by tests/it/mailman.rs with the Python of a virtualenv that has the
plugin (and Mailman core, its dependency) installed.

    python drive.py MAILMAN_CFG MESSAGE_FILE FQDN_LISTNAME

MAILMAN_CFG is a Mailman configuration file holding an [archiver.hyperkitty] section (the
test writes contrib/mailman3/mailman.cfg with its `configuration:` pointing at a
mailman-hyperkitty.cfg of its own). Mailman's run-time directories go under ./var (Mailman's
default layout, `here`), so run this in a scratch directory.

Prints one JSON object: the URLs the plugin's calls returned ("" or null where they failed),
how many messages the plugin holds in its retry queue, and what the plugin logged.

Line numbers below are those of mailman_hyperkitty/__init__.py in version 1.2.1.
"""

import email
import json
import logging
import os
import sys


def main():
    cfg_path, message_path, fqdn_listname = sys.argv[1:4]

    # Mailman's own first initialization step (zope components, the configuration stack,
    # the run-time directories), as `mailman` commands and runners do before anything
    # else. The plugin needs nothing more: it reads its settings through Mailman's config
    # object, `config.archiver.hyperkitty.configuration` (lines 80-81), and creates its
    # retry queue under `config.ARCHIVE_DIR` (lines 61-64). No stubbing: a section named
    # otherwise than [archiver.hyperkitty] fails right here, as it would in Mailman.
    from mailman.core.initialize import initialize_1

    initialize_1(os.path.abspath(cfg_path))

    from mailman.config import config
    from mailman.email.message import Message

    # What the plugin logs (logger "mailman.archiver", line 43): failures are reported
    # only there, archive_message and _get_url return None or "" (lines 94-100, 162-184).
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    log = logging.getLogger("mailman.archiver")
    log.setLevel(logging.DEBUG)
    log.addHandler(Keep())
    log.propagate = False

    # The archiver as Mailman's archive runner gets it: from the enabled archivers of the
    # configuration (mailman/config/config.py, `Configuration.archivers`), by the name the
    # plugin gives itself (line 56).
    archivers = [a for a in config.archivers if a.name == "hyperkitty" and a.is_enabled]
    if len(archivers) != 1:
        sys.exit("no enabled [archiver.hyperkitty] in " + cfg_path)
    archiver = archivers[0]

    # The mailing list: the plugin reads only `fqdn_listname` (lines 115, 130, 212) and,
    # when archiving fails, `list_id` (lines 166, 180); the retry queue pickles the object
    # with the message (line 172), so it is a plain module-level class.
    mlist = MailingList(fqdn_listname)

    # The message as Mailman holds it: its own Message class (mailman/email/message.py),
    # which the plugin renders with as_bytes() (line 198) and reads Message-Id from
    # (lines 128, 195).
    with open(message_path, "rb") as f:
        msg = email.message_from_binary_file(f, Message)

    result = {
        # Before delivery, as Mailman asks for the Archived-At header.
        "permalink_before": archiver.permalink(mlist, msg),
        # POST api/mailman/archive (lines 196-213); returns the answer's "url" (line 238),
        # or None once the message went to the retry queue.
        "archived": archiver.archive_message(mlist, msg),
        # GET api/mailman/urls?mlist=… (line 115) and …&msgid=… (lines 128-130).
        "list_url": archiver.list_url(mlist),
        "permalink": archiver.permalink(mlist, msg),
        # Messages the plugin keeps to send again (line 172).
        "queued": len(archiver._switchboard.files),
        "log": records,
    }
    print(json.dumps(result))


class MailingList:
    """The attributes of Mailman's IMailingList that the plugin reads."""

    def __init__(self, fqdn_listname):
        self.fqdn_listname = fqdn_listname
        self.list_name, _, self.mail_host = fqdn_listname.partition("@")
        self.list_id = "{}.{}".format(self.list_name, self.mail_host)


if __name__ == "__main__":
    main()
