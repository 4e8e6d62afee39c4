# Weboberfläche von larch, auf Deutsch.

## Alle Seiten

skip-to-content = Zum Inhalt springen
nav-site = Website
nav-lists = Listen
nav-languages = Sprache
search-box-label = Archive durchsuchen
search-box-placeholder = Suchen
login-link = Anmelden
logout-button = Abmelden
footer-archived-by = Archiviert von larch
private-badge = privat
private-hint = Nur die Mitglieder der Liste können dieses Archiv lesen
no-subject = (kein Betreff)
count-messages = { $n ->
    [one] { $n } Nachricht
   *[other] { $n } Nachrichten
}
count-threads = { $n ->
    [one] { $n } Thread
   *[other] { $n } Threads
}
pages-nav = Seiten
pages-nav-bottom = Seiten, unten
pages-label = Seite
pages-prev = ← zurück
pages-next = weiter →

## Datumsangaben: Monatsnamen (Überschriften, Daten, Spalten) und abgekürzte Wochentage, beginnend mit Montag.

month-1 = Januar
month-2 = Februar
month-3 = März
month-4 = April
month-5 = Mai
month-6 = Juni
month-7 = Juli
month-8 = August
month-9 = September
month-10 = Oktober
month-11 = November
month-12 = Dezember
month-of-1 = Jan.
month-of-2 = Feb.
month-of-3 = März
month-of-4 = Apr.
month-of-5 = Mai
month-of-6 = Juni
month-of-7 = Juli
month-of-8 = Aug.
month-of-9 = Sept.
month-of-10 = Okt.
month-of-11 = Nov.
month-of-12 = Dez.
month-short-1 = Jan
month-short-2 = Feb
month-short-3 = Mär
month-short-4 = Apr
month-short-5 = Mai
month-short-6 = Jun
month-short-7 = Jul
month-short-8 = Aug
month-short-9 = Sep
month-short-10 = Okt
month-short-11 = Nov
month-short-12 = Dez
weekday-1 = Mo.
weekday-2 = Di.
weekday-3 = Mi.
weekday-4 = Do.
weekday-5 = Fr.
weekday-6 = Sa.
weekday-7 = So.
date-month = { $month } { $year }
date-day = { $day }. { $month } { $year }
date-utc = { $date }, { $time } UTC
date-local = { $weekday }, { $date }, { $time } { $zone }
date-none = (kein Datum)

## Startseite

index-title = Archive der Mailinglisten
index-col-list = Liste
index-col-messages = Nachrichten
index-col-since = Seit
index-col-last = Letzter Beitrag
index-col-activity = Aktivität
index-empty = Noch keine Listen vorhanden. Eine Liste importieren mit:
chart-index-label = Nachrichten pro Monat in den letzten zwei Jahren

## Seite einer Liste

list-title = Archiv von { $list }
list-download = alles herunterladen (mbox.gz)
list-feed = Atom-Feed
list-chart-caption = Nachrichten pro Monat
chart-list-label = Nachrichten pro Monat in den letzten fünf Jahren; die Tabelle unten nennt die Anzahl für jeden Monat
list-by-month = Archiv nach Monaten
list-col-year = Jahr
list-col-total = Gesamt
list-recent = Neueste Threads
thread-summary = { $n ->
    [one] { $n } Nachricht
   *[other] { $n } Nachrichten
}, letzte am { $date }
feed-list-title = { $list }: neue Nachrichten

## Seiten eines Monats

month-title = { $list }, { $month }, nach { $order }
month-sorted-by = sortiert nach
order-thread = Thread
order-date = Datum
order-author = Autor
order-subject = Betreff
month-nav = Monate
month-prev = ← vorheriger Monat
month-next = nächster Monat →
month-group-none = (keine Angabe)

## Seite einer Nachricht

msg-from = Von
msg-date = Datum
msg-lists = Listen
msg-id = Message-ID
msg-reply = Antworten
msg-thread = Thread ({ $n })
msg-raw = Quelltext der Nachricht
msg-signed = Diese Nachricht ist signiert; das Archiv prüft die Signatur nicht.
msg-image-alt = angehängtes Bild
msg-attachments = Anhänge
msg-attachment-unnamed = Anhang { $n }
msg-attachment-size = { $type }, { $n ->
    [one] { $n } Byte
   *[other] { $n } Byte
}
msg-nav-label = Benachbarte Nachrichten
msg-prev-date = ← vorherige nach Datum:
msg-next-date = → nächste nach Datum:
msg-first = erste Nachricht der Liste
msg-last = letzte Nachricht der Liste
msg-prev-thread = ← vorherige im Thread
msg-next-thread = nächste im Thread →
msg-thread-heading = Thread
msg-unreadable-attached = (unlesbare angehängte Nachricht)

## Was die Darstellung dem Text einer Nachricht hinzufügt

quote-show = { $n ->
    [one] zitierten Text anzeigen ({ $n } Zeile)
   *[other] zitierten Text anzeigen ({ $n } Zeilen)
}
quote-lines = { $n ->
    [one] { $n } Zeile
   *[other] { $n } Zeilen
}
quote-link-title = Die zitierte Nachricht
note-truncated = Diese Nachricht ist zu groß, um vollständig angezeigt zu werden; laden Sie den Quelltext der Nachricht herunter.
note-plain = Diese Nachricht ist groß: Sie wird als reiner Text ohne Links angezeigt.
note-html-as-text = Das HTML dieser Nachricht ist zu groß oder zu komplex für die Anzeige; stattdessen wird ihre Textfassung angezeigt.
stub-removed = Anhang (von der Liste entfernt)
stub-attachment = Anhang
stub-original = ursprünglicher Anhang

## Seite eines Threads

thread-crumb = Thread
thread-feed-title = dieser Thread
thread-permalink = Permalink
thread-raw = Quelltext
thread-removed = Diese Nachricht wurde entfernt.
thread-long = Dieser Thread ist lang: Diese Nachricht wird auf einer eigenen Seite angezeigt.

## Eine Nachricht in mehreren Listen

choice-title = Nachricht { $id }
choice-heading = Diese Nachricht wurde an mehrere Listen gesendet

## Suche

search-title = Suche
search-title-query = { $q } · Suche
search-crumb = Suche
search-heading-all = Alle Listen durchsuchen
search-heading-list = Suchen in
search-words-label = Suchbegriffe
search-form-label = Suche mit Optionen
# Die geraden Anführungszeichen gehören zur Suchsyntax und bleiben unverändert.
search-placeholder = Wörter, "eine Wortgruppe", from:Name, date:2016
search-order = Reihenfolge
search-order-relevance = beste Treffer
search-order-new = neueste zuerst
search-order-old = älteste zuerst
search-per-thread = ein Ergebnis pro Thread
search-button = Suchen
search-feed-title = Diese Ergebnisse
help-summary = So suchen Sie
help-words = Nachrichten mit beiden Wörtern (Wortformen werden erkannt: patch findet patches)
help-phrase = diese Wörter in dieser Reihenfolge, wie geschrieben
help-operators = ausschließen, entweder – oder, gruppieren
help-from = Name oder Adresse des Absenders
help-fields = nur im Betreff, nur im Text
help-filters = eine Liste, eine Nachricht, Nachrichten mit Anhängen
help-dates = Datumsangaben: ein Jahr, ein Monat oder ein Tag; Bereiche schließen beide Enden ein
search-lag = { $n ->
    [one] Der Index arbeitet { $n } neue Änderung nach; die neuesten Nachrichten können einige Sekunden lang fehlen.
   *[other] Der Index arbeitet { $n } neue Änderungen nach; die neuesten Nachrichten können einige Sekunden lang fehlen.
}
search-stats-results = { $n ->
    [one] { $n } Ergebnis in { $ms } ms
   *[other] { $n } Ergebnisse in { $ms } ms
}
search-stats-threads = { $n ->
    [one] { $n } Thread in { $ms } ms
   *[other] { $n } Threads in { $ms } ms
}
search-stats-threads-capped = { $n ->
    [one] { $n } Thread unter den ersten 1.000 Ergebnissen, in { $ms } ms
   *[other] { $n } Threads unter den ersten 1.000 Ergebnissen, in { $ms } ms
}
search-facets = Ergebnisse eingrenzen
search-facet-lists = Listen
search-facet-years = Jahre
search-thread-matches = { $n ->
    [one] { $n } Treffer im Thread
   *[other] { $n } Treffer im Thread
}
search-none = Nichts gefunden. Weniger Wörter oder Wörter ohne Präfix liefern mehr Treffer.
feed-search-title = Suche: { $q }
note-no-list = Es gibt keine öffentliche Liste namens „{ $list }“.
note-query-cut = Nur die ersten { $n } Zeichen der Suchanfrage wurden verwendet.
note-query-terms = Nur die ersten { $n } Begriffe der Suchanfrage wurden verwendet.
note-unknown-has = has:{ $what } ist unbekannt; nur has:attachment wird unterstützt.
note-bad-date = „{ $term }“ ist kein Datum, das diese Suche versteht (verwenden Sie 2016, 2016-04 oder 2016-04-01).

## Anmeldung

login-title = Anmelden
login-intro = Mitglieder von Listen mit privatem Archiv melden sich an, um es zu lesen.
login-user = Benutzername
login-password = Passwort
login-button = Anmelden
login-expired = Das Formular war abgelaufen. Bitte versuchen Sie es erneut.
login-wrong = Falscher Benutzername oder falsches Passwort.
login-throttled = Zu viele fehlgeschlagene Versuche. Bitte warten Sie einige Minuten und versuchen Sie es dann erneut.

## Fehler

error-all-lists = Alle Listen
error-not-found = Nicht gefunden
error-gone = Entfernt
error-gone-hint = Diese Nachricht wurde aus dem Archiv entfernt.
error-bad-request = Ungültige Anfrage
error-forbidden = Zugriff verweigert
error-forbidden-hint = Das Formular war abgelaufen. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es erneut.
error-busy = Ausgelastet
error-busy-hint = Das Archiv ist ausgelastet. Bitte versuchen Sie es in einigen Sekunden erneut.
error-internal = Interner Fehler
error-nul = Die Adresse enthält ein Zeichen (NUL), das im Archiv nirgends vorkommt.
error-unreadable-address = Diese Adresse kann nicht gelesen werden.
error-no-list = Es gibt keine öffentliche Liste namens „{ $list }“. Alle Listen stehen auf der Startseite.
error-no-message = Die Nachricht <{ $key }> ist nicht im Archiv von { $list }.
error-no-message-anywhere = Keine Nachricht <{ $key }> in den Listen, die Sie lesen können.
error-no-list-archives = Keine Liste archiviert die Nachricht <{ $id }>.
error-empty-month = { $list } hat im { $month } keine Nachrichten. Die Übersicht der Liste zeigt, welche Monate vorhanden sind.
error-old-address = Die alte Archivadresse „{ $what }“ von { $list } passt zu nichts in diesem Archiv. Versuchen Sie es mit dem Suchfeld oben oder der Übersicht der Liste.
error-no-language = Dieses Archiv ist in dieser Sprache nicht verfügbar.
