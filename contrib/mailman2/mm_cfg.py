# Lines for Mailman 2's mm_cfg.py that hand every archived post to larch instead of
# pipermail. Mailman substitutes %(listname)s and pipes the message to the command's
# standard input; `larch ingest` writes it to larch's spool and exits at once, and the
# running `larch serve` stores it (or `larch ingest --drain` from cron without a server).
#
# The public and private commands differ only in the privacy a list gets when its first
# message creates it in larch: a list that is private in Mailman stays private in larch.
# An existing list keeps its setting (`larch list-set NAME --private true|false`).
#
# Mailman runs the command as its own user (often `list`): that user must be able to
# write to /var/lib/larch/spool/tmp and /var/lib/larch/spool/new, e.g.
#   install -d -o larch -g list -m 2775 /var/lib/larch/spool /var/lib/larch/spool/tmp \
#       /var/lib/larch/spool/new /var/lib/larch/spool/bad
# Mailman 2 only logs a failing archiver (logs/error), it never retries: `larch ingest`
# fails only when it cannot write the spool, and says why on standard error.

PUBLIC_EXTERNAL_ARCHIVER = '/usr/local/bin/larch --data /var/lib/larch ingest --list %(listname)s --public'
PRIVATE_EXTERNAL_ARCHIVER = '/usr/local/bin/larch --data /var/lib/larch ingest --list %(listname)s --private'
