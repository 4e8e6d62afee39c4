# Interface web de larch, en français.

## Toutes les pages

skip-to-content = Aller au contenu
nav-site = Site
nav-lists = Listes
nav-languages = Langue
search-box-label = Rechercher dans les archives
search-box-placeholder = Rechercher
login-link = Se connecter
logout-button = Se déconnecter
footer-archived-by = Archivé par larch
private-badge = privée
private-hint = Seuls les membres de la liste peuvent lire ces archives
no-subject = (sans sujet)
count-messages = { $n ->
    [one] { $n } message
   *[other] { $n } messages
}
count-threads = { $n ->
    [one] { $n } fil de discussion
   *[other] { $n } fils de discussion
}
pages-nav = Pages
pages-nav-bottom = Pages, en bas
pages-label = Page
pages-prev = ← précédente
pages-next = suivante →

## Dates : noms des mois (titres, dates, colonnes) et jours de la semaine abrégés, lundi en premier.

month-1 = janvier
month-2 = février
month-3 = mars
month-4 = avril
month-5 = mai
month-6 = juin
month-7 = juillet
month-8 = août
month-9 = septembre
month-10 = octobre
month-11 = novembre
month-12 = décembre
month-of-1 = janv.
month-of-2 = févr.
month-of-3 = mars
month-of-4 = avr.
month-of-5 = mai
month-of-6 = juin
month-of-7 = juil.
month-of-8 = août
month-of-9 = sept.
month-of-10 = oct.
month-of-11 = nov.
month-of-12 = déc.
month-short-1 = janv.
month-short-2 = févr.
month-short-3 = mars
month-short-4 = avr.
month-short-5 = mai
month-short-6 = juin
month-short-7 = juil.
month-short-8 = août
month-short-9 = sept.
month-short-10 = oct.
month-short-11 = nov.
month-short-12 = déc.
weekday-1 = lun.
weekday-2 = mar.
weekday-3 = mer.
weekday-4 = jeu.
weekday-5 = ven.
weekday-6 = sam.
weekday-7 = dim.
date-month = { $month } { $year }
date-day = { $day } { $month } { $year }
date-utc = { $date } à { $time } UTC
date-local = { $weekday } { $date } à { $time } { $zone }
date-none = (sans date)

## Page d’accueil

index-title = Archives des listes de diffusion
index-col-list = Liste
index-col-messages = Messages
index-col-since = Depuis
index-col-last = Dernier message
index-col-activity = Activité
index-empty = Aucune liste pour l’instant. Pour en importer une :
chart-index-label = Messages par mois sur les deux dernières années

## Page d’une liste

list-title = Archives de { $list }
list-download = tout télécharger (mbox.gz)
list-feed = Flux Atom
list-chart-caption = Messages par mois
chart-list-label = Messages par mois sur les cinq dernières années ; le tableau ci-dessous indique le total de chaque mois
list-by-month = Archives par mois
list-col-year = Année
list-col-total = Total
list-recent = Fils de discussion récents
thread-summary = { $n ->
    [one] { $n } message
   *[other] { $n } messages
}, dernier le { $date }
feed-list-title = { $list } : nouveaux messages

## Pages d’un mois

month-title = { $list }, { $month }, par { $order }
month-sorted-by = trié par
order-thread = fil
order-date = date
order-author = auteur
order-subject = sujet
month-nav = Mois
month-prev = ← mois précédent
month-next = mois suivant →
month-group-none = (aucun)

## Page d’un message

msg-from = De
msg-date = Date
msg-lists = Listes
msg-id = Message-ID
msg-reply = Répondre
msg-thread = Fil ({ $n })
msg-raw = Message brut
msg-signed = Ce message est signé ; les archives ne vérifient pas la signature.
msg-image-alt = image jointe
msg-attachments = Pièces jointes
msg-attachment-unnamed = pièce jointe { $n }
msg-attachment-size = { $type }, { $n ->
    [one] { $n } octet
   *[other] { $n } octets
}
msg-nav-label = Messages voisins
msg-prev-date = ← précédent par date :
msg-next-date = → suivant par date :
msg-first = premier message de la liste
msg-last = dernier message de la liste
msg-prev-thread = ← précédent dans le fil
msg-next-thread = suivant dans le fil →
msg-thread-heading = Fil de discussion
msg-unreadable-attached = (message joint illisible)

## Ce que le rendu ajoute au texte d’un message

quote-show = { $n ->
    [one] afficher le texte cité ({ $n } ligne)
   *[other] afficher le texte cité ({ $n } lignes)
}
quote-lines = { $n ->
    [one] { $n } ligne
   *[other] { $n } lignes
}
quote-link-title = Le message cité
note-truncated = Ce message est trop volumineux pour être affiché en entier ; téléchargez le message brut.
note-plain = Ce message est volumineux : il est affiché en texte brut, sans liens.
note-html-as-text = Le HTML de ce message est trop volumineux ou trop complexe pour être affiché ; sa version texte est affichée à la place.
stub-removed = Pièce jointe (retirée par la liste)
stub-attachment = pièce jointe
stub-original = pièce jointe d’origine

## Page d’un fil de discussion

thread-crumb = fil de discussion
thread-feed-title = ce fil de discussion
thread-permalink = lien permanent
thread-raw = brut
thread-removed = Ce message a été retiré.
thread-long = Ce fil de discussion est long : ce message est affiché sur sa propre page.

## Un message dans plusieurs listes

choice-title = Message { $id }
choice-heading = Ce message a été envoyé à plusieurs listes

## Recherche

search-title = Recherche
search-title-query = { $q } · recherche
search-crumb = recherche
search-heading-all = Rechercher dans toutes les listes
search-heading-list = Rechercher dans
search-words-label = Mots à chercher
search-form-label = Recherche avec options
# Les guillemets droits font partie de la syntaxe de recherche (ne pas les remplacer par des chevrons).
search-placeholder = mots, "une expression", from:nom, date:2016
search-order = Tri
search-order-relevance = pertinence
search-order-new = plus récents d’abord
search-order-old = plus anciens d’abord
search-per-thread = un résultat par fil de discussion
search-button = Rechercher
search-feed-title = Ces résultats
help-summary = Comment chercher
help-words = messages contenant les deux mots (les formes d’un mot sont reconnues : patch trouve patches)
help-phrase = ces mots dans cet ordre, tels qu’ils sont écrits
help-operators = exclure, l’un ou l’autre, regrouper
help-from = nom ou adresse de l’expéditeur
help-fields = seulement dans le sujet, seulement dans le texte
help-filters = une liste, un message, les messages avec pièces jointes
help-dates = dates : une année, un mois ou un jour ; les intervalles incluent leurs deux bornes
search-lag = { $n ->
    [one] L’index est en train d’intégrer { $n } modification récente ; les messages les plus récents peuvent manquer pendant quelques secondes.
   *[other] L’index est en train d’intégrer { $n } modifications récentes ; les messages les plus récents peuvent manquer pendant quelques secondes.
}
search-stats-results = { $n ->
    [one] { $n } résultat en { $ms } ms
   *[other] { $n } résultats en { $ms } ms
}
search-stats-threads = { $n ->
    [one] { $n } fil de discussion en { $ms } ms
   *[other] { $n } fils de discussion en { $ms } ms
}
search-stats-threads-capped = { $n ->
    [one] { $n } fil de discussion parmi les 1 000 premiers résultats, en { $ms } ms
   *[other] { $n } fils de discussion parmi les 1 000 premiers résultats, en { $ms } ms
}
search-facets = Affiner les résultats
search-facet-lists = Listes
search-facet-years = Années
search-thread-matches = { $n ->
    [one] { $n } résultat dans le fil
   *[other] { $n } résultats dans le fil
}
search-none = Aucun résultat. Avec moins de mots, ou des mots sans préfixe, la recherche en trouve davantage.
feed-search-title = Recherche : { $q }
note-no-list = Il n’y a pas de liste publique nommée « { $list } ».
note-query-cut = Seuls les { $n } premiers caractères de la requête ont été utilisés.
note-query-terms = Seuls les { $n } premiers termes de la requête ont été utilisés.
note-unknown-has = has:{ $what } n’est pas reconnu ; seul has:attachment l’est.
note-bad-date = « { $term } » n’est pas une date que cette recherche comprend (utilisez 2016, 2016-04 ou 2016-04-01).

## Connexion

login-title = Connexion
login-intro = Les membres des listes aux archives privées se connectent pour les lire.
login-user = Nom d’utilisateur
login-password = Mot de passe
login-button = Se connecter
login-expired = Le formulaire avait expiré. Veuillez réessayer.
login-wrong = Nom d’utilisateur ou mot de passe incorrect.
login-throttled = Trop de tentatives échouées. Veuillez patienter quelques minutes, puis réessayer.

## Erreurs

error-all-lists = Toutes les listes
error-not-found = Introuvable
error-gone = Retiré
error-gone-hint = Ce message a été retiré des archives.
error-bad-request = Requête invalide
error-forbidden = Accès interdit
error-forbidden-hint = Le formulaire avait expiré. Revenez en arrière, rechargez la page et réessayez.
error-busy = Occupé
error-busy-hint = Les archives sont occupées. Veuillez réessayer dans quelques secondes.
error-internal = Erreur interne
error-nul = L’adresse contient un caractère (NUL) qui ne figure nulle part dans les archives.
error-unreadable-address = Cette adresse est illisible.
error-no-list = Il n’y a pas de liste publique nommée « { $list } ». Toutes les listes figurent sur la page d’accueil.
error-no-message = Le message <{ $key }> ne figure pas dans les archives de { $list }.
error-no-message-anywhere = Aucun message <{ $key }> dans les listes que vous pouvez lire.
error-no-list-archives = Aucune liste n’archive le message <{ $id }>.
error-empty-month = { $list } n’a aucun message en { $month }. Consultez la page de la liste pour voir les mois disponibles.
error-old-address = L’ancienne adresse d’archive « { $what } » de { $list } ne correspond à rien dans ces archives. Essayez la zone de recherche ci-dessus ou la page de la liste.
error-no-language = Ces archives ne sont pas disponibles dans cette langue.
