"""Picks the URL mixes of benches/archive.sh from a larch store: many distinct pages of each
kind, drawn with a fixed seed so that two runs (and two archivers) ask for the same pages.

usage: paths.py LARCH_DB OUT_DIR [LIST]
Writes OUT_DIR/{message,thread,month,index,search}.paths (larch's URLs), and for the
side-by-side run OUT_DIR/{message,thread}.msgids and search.words, which the public-inbox
run turns into its own URLs. With LIST, only that list's pages are drawn.
"""
import os
import random
import re
import sqlite3
import sys
import urllib.parse

db = sqlite3.connect(sys.argv[1])
out = sys.argv[2]
only = sys.argv[3] if len(sys.argv) > 3 else None
rng = random.Random(14)
lists = dict(db.execute("SELECT id, name FROM lists"))
if only:
    lists = {i: n for i, n in lists.items() if n == only}
ids = ",".join(str(i) for i in lists)
key = lambda k: urllib.parse.quote(k, safe="@.-_+!$&'()*,;=:~")


def write(name, lines):
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join(lines) + "\n")


def sample(rows, n):
    rows = list(rows)
    return rng.sample(rows, min(n, len(rows)))


# Messages: 2,000 distinct ones, any list, any date.
msgs = sample(
    db.execute(
        f"SELECT n.list_id, n.mkey, m.message_id FROM nodes n JOIN messages m ON m.id = n.message_id "
        f"WHERE n.list_id IN ({ids}) AND m.msgid_generated = 0"
    ),
    2000,
)
write("message.paths", [f"/{lists[l]}/m/{key(k)}/" for l, k, _ in msgs])
write("message.msgids", [mid for _, _, mid in msgs])

# Threads: 300 of 5 to 200 messages, the size a reader opens to read a discussion.
threads = sample(
    db.execute(
        f"SELECT t.list_id, t.root_mkey, m.message_id FROM threads t "
        f"JOIN nodes n ON n.list_id = t.list_id AND n.mkey = t.root_mkey "
        f"JOIN messages m ON m.id = n.message_id "
        f"WHERE t.list_id IN ({ids}) AND t.message_count BETWEEN 5 AND 200 AND m.msgid_generated = 0"
    ),
    300,
)
write("thread.paths", [f"/{lists[l]}/t/{key(k)}/" for l, k, _ in threads])
write("thread.msgids", [mid for _, _, mid in threads])

# Month pages: the first page (by thread) of up to 300 months with mail.
months = sample(
    db.execute(f"SELECT list_id, month FROM months WHERE list_id IN ({ids}) AND count > 0"), 300
)
write(
    "month.paths",
    [f"/{lists[l]}/{m // 100:04d}/{m % 100:02d}/" for l, m in months],
)

# List index pages: each list's overview, and the front page.
write("index.paths", [f"/{n}/" for n in lists.values()] + ([] if only else ["/"]))

# Searches: 190 two-word queries, both words from one subject, so that each finds mail.
subjects = [
    s
    for (s,) in db.execute(
        f"SELECT m.subject FROM nodes n JOIN messages m ON m.id = n.message_id "
        f"WHERE n.list_id IN ({ids}) ORDER BY n.seq LIMIT 200000"
    )
]
rng.shuffle(subjects)
queries = []
seen = set()
for s in subjects:
    words = [w for w in re.findall(r"[a-z]{4,12}", s.lower()) if w not in ("patch", "re")]
    words = list(dict.fromkeys(words))
    if len(words) < 2:
        continue
    q = " ".join(rng.sample(words, 2))
    if q in seen:
        continue
    seen.add(q)
    queries.append(q)
    if len(queries) == 190:
        break
write("search.words", queries)
scope = f"/{only}" if only else ""
write("search.paths", [f"{scope}/search?q={urllib.parse.quote_plus(q)}" for q in queries])
