# The web interface of larch, in English: the reference catalog. Every other catalog has
# exactly these keys (a test checks), and every key here is used by a page.
#
# Arguments: $n is a count (it chooses the plural form and is shown with the locale's
# digit grouping); $list, $q, $key, $id and the like are text from the archive or the
# reader, shown as they are.

## Every page

skip-to-content = Skip to the content
nav-site = Site
nav-lists = Lists
nav-languages = Language
search-box-label = Search the archives
search-box-placeholder = Search
login-link = Log in
logout-button = Log out
footer-archived-by = Archived by larch
private-badge = private
private-hint = Only the list's members can read this archive
no-subject = (no subject)
count-messages = { $n ->
    [one] { $n } message
   *[other] { $n } messages
}
count-threads = { $n ->
    [one] { $n } thread
   *[other] { $n } threads
}
pages-nav = Pages
pages-nav-bottom = Pages, again
pages-label = Page
pages-prev = ← previous
pages-next = next →

## Dates: month names as headings and calendars show them, as a date writes them, and
## abbreviated for table columns; weekdays abbreviated, Monday first.

month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
month-of-1 = Jan
month-of-2 = Feb
month-of-3 = Mar
month-of-4 = Apr
month-of-5 = May
month-of-6 = Jun
month-of-7 = Jul
month-of-8 = Aug
month-of-9 = Sep
month-of-10 = Oct
month-of-11 = Nov
month-of-12 = Dec
month-short-1 = Jan
month-short-2 = Feb
month-short-3 = Mar
month-short-4 = Apr
month-short-5 = May
month-short-6 = Jun
month-short-7 = Jul
month-short-8 = Aug
month-short-9 = Sep
month-short-10 = Oct
month-short-11 = Nov
month-short-12 = Dec
weekday-1 = Mon
weekday-2 = Tue
weekday-3 = Wed
weekday-4 = Thu
weekday-5 = Fri
weekday-6 = Sat
weekday-7 = Sun
# A month of a year: $month (a month-N name), $mnum (its number), $year.
date-month = { $month } { $year }
# A day: $day, $month (a month-of-N name), $mnum, $year.
date-day = { $day } { $month } { $year }
# An instant in UTC: $date (a date-day), $time (24-hour HH:MM).
date-utc = { $date }, { $time } UTC
# An instant on the sender's clock: $weekday, $date, $time, $zone (+0200).
date-local = { $weekday } { $date }, { $time } { $zone }
date-none = (no date)

## The front page

index-title = Mailing list archives
index-col-list = List
index-col-messages = Messages
index-col-since = Since
index-col-last = Last post
index-col-activity = Activity
index-empty = No lists yet. Import one with:
chart-index-label = Messages per month over the last two years

## A list's page

list-title = { $list } archives
list-download = download all (mbox.gz)
list-feed = Atom feed
list-chart-caption = Messages per month
chart-list-label = Messages per month over the last five years; the table below gives every month's count
list-by-month = Archives by month
list-col-year = Year
list-col-total = Total
list-recent = Recent threads
# $n messages in the thread, the last on $date.
thread-summary = { $n ->
    [one] { $n } message
   *[other] { $n } messages
}, last { $date }
feed-list-title = { $list }: new messages

## A month's pages

# $list, $month (a date-month), $order (an order-… word).
month-title = { $list }, { $month }, by { $order }
month-sorted-by = sorted by
order-thread = thread
order-date = date
order-author = author
order-subject = subject
month-nav = Months
month-prev = ← previous month
month-next = next month →
month-group-none = (none)

## A message's page

msg-from = From
msg-date = Date
msg-lists = Lists
msg-id = Message-ID
msg-reply = Reply
msg-thread = Thread ({ $n })
msg-raw = Raw message
msg-signed = This message is signed; the signature is not verified by the archive.
msg-image-alt = attached image
msg-attachments = Attachments
msg-attachment-unnamed = attachment { $n }
# $type (a MIME type) and its size in bytes, $n.
msg-attachment-size = { $type }, { $n ->
    [one] { $n } byte
   *[other] { $n } bytes
}
msg-nav-label = Neighbouring messages
msg-prev-date = ← previous by date:
msg-next-date = → next by date:
msg-first = first message of the list
msg-last = last message of the list
msg-prev-thread = ← previous in thread
msg-next-thread = next in thread →
msg-thread-heading = Thread
msg-unreadable-attached = (unreadable attached message)

## What the renderer adds to a message's text

quote-show = { $n ->
    [one] show quoted text ({ $n } line)
   *[other] show quoted text ({ $n } lines)
}
quote-lines = { $n ->
    [one] { $n } line
   *[other] { $n } lines
}
quote-link-title = The quoted message
note-truncated = This message is too large to display in full; download the raw message.
note-plain = This message is large: it is shown as plain text, without links.
note-html-as-text = This message's HTML is too large or too complex to display; its text version is shown instead.
stub-removed = Attachment (removed by the list)
stub-attachment = attachment
stub-original = original attachment

## A thread's page

thread-crumb = thread
thread-feed-title = this thread
thread-permalink = permalink
thread-raw = raw
thread-removed = This message was removed.
thread-long = This thread is long: this message is shown on its own page.

## Several lists hold one message

choice-title = Message { $id }
choice-heading = This message was posted to several lists

## Search

search-title = Search
search-title-query = { $q } · search
search-crumb = search
search-heading-all = Search all lists
search-heading-list = Search
search-words-label = Words to find
search-form-label = Search with options
search-placeholder = words, "a phrase", from:name, date:2016
search-order = Order
search-order-relevance = best match
search-order-new = newest first
search-order-old = oldest first
search-per-thread = one result per thread
search-button = Search
search-feed-title = These results
help-summary = How to search
help-words = messages with both words (word forms match: patch finds patches)
help-phrase = these words in this order, as written
help-operators = leave out, either, grouping
help-from = sender name or address
help-fields = only in the subject, only in the text
help-filters = one list, one message, messages with attachments
help-dates = dates: a year, month or day; ranges include both ends
search-lag = { $n ->
    [one] The index is catching up with { $n } recent change; the newest mail may be missing for a few seconds.
   *[other] The index is catching up with { $n } recent changes; the newest mail may be missing for a few seconds.
}
# $n results, found in $ms milliseconds.
search-stats-results = { $n ->
    [one] { $n } result in { $ms } ms
   *[other] { $n } results in { $ms } ms
}
search-stats-threads = { $n ->
    [one] { $n } thread in { $ms } ms
   *[other] { $n } threads in { $ms } ms
}
search-stats-threads-capped = { $n ->
    [one] { $n } thread among the first 1,000 results, in { $ms } ms
   *[other] { $n } threads among the first 1,000 results, in { $ms } ms
}
search-facets = Narrow the results
search-facet-lists = Lists
search-facet-years = Years
search-thread-matches = { $n ->
    [one] { $n } matching in thread
   *[other] { $n } matching in thread
}
search-none = Nothing found. Fewer words, or words without a prefix, find more.
feed-search-title = Search: { $q }
note-no-list = There is no public list named “{ $list }”.
note-query-cut = Only the first { $n } characters of the query were used.
note-query-terms = Only the first { $n } terms of the query were used.
note-unknown-has = has:{ $what } is not known; only has:attachment is.
note-bad-date = “{ $term }” is not a date this search reads (use 2016, 2016-04 or 2016-04-01).

## Logging in

login-title = Log in
login-intro = Members of lists with private archives log in to read them.
login-user = User name
login-password = Password
login-button = Log in
login-expired = The form had expired. Please try again.
login-wrong = Wrong user name or password.
login-throttled = Too many failed attempts. Please wait a few minutes and try again.

## Errors

error-all-lists = All lists
error-not-found = Not found
error-gone = Removed
error-gone-hint = This message was removed from the archive.
error-bad-request = Bad request
error-forbidden = Forbidden
error-forbidden-hint = The form had expired. Go back, reload the page and try again.
error-busy = Busy
error-busy-hint = The archive is busy. Please try again in a few seconds.
error-internal = Internal error
error-nul = The address holds a character (NUL) that nothing in the archive holds.
error-unreadable-address = This address cannot be read.
error-no-list = There is no public list named “{ $list }”. All lists are on the front page.
error-no-message = The message <{ $key }> is not in the archive of { $list }.
error-no-message-anywhere = No message <{ $key }> in the lists you can read.
error-no-list-archives = No list archives the message <{ $id }>.
error-empty-month = { $list } has no messages in { $month }. See the list's overview for the months it has.
error-old-address = The old archive address “{ $what }” of { $list } does not match anything in this archive. Try the search box above or the list's overview.
error-no-language = This archive does not speak that language.
