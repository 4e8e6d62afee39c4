# Веб-интерфейс larch на русском языке (Russian). Ключи те же, что в en.ftl, в том же порядке.
#
# Аргументы: $n — число (выбирает форму множественного числа: one, few, many, other);
# $list, $q, $key, $id и т. п. — текст из архива или от читателя, выводится как есть.
# «Thread» переводится везде как «обсуждение», «subject» — как «тема».

## Every page

skip-to-content = Перейти к содержимому
nav-site = Сайт
nav-lists = Списки
nav-languages = Язык
search-box-label = Поиск по архивам
search-box-placeholder = Поиск
login-link = Войти
logout-button = Выйти
footer-archived-by = Архив работает на larch
private-badge = закрытый
private-hint = Этот архив могут читать только участники списка рассылки
no-subject = (без темы)
count-messages = { $n ->
    [one] { $n } сообщение
    [few] { $n } сообщения
    [many] { $n } сообщений
   *[other] { $n } сообщения
}
count-threads = { $n ->
    [one] { $n } обсуждение
    [few] { $n } обсуждения
    [many] { $n } обсуждений
   *[other] { $n } обсуждения
}
pages-nav = Страницы
pages-nav-bottom = Страницы (внизу)
pages-label = Страница
pages-prev = ← предыдущая
pages-next = следующая →

## Dates: month names as headings and calendars show them, as a date writes them, and
## abbreviated for table columns; weekdays abbreviated, Monday first.
# month-N — именительный падеж (самостоятельная форма, как в CLDR, со строчной буквы);
# month-of-N — родительный падеж, сокращённо, как внутри даты («4 апр. 2016 г.»);
# month-short-N — краткая самостоятельная форма для заголовков столбцов.

month-1 = январь
month-2 = февраль
month-3 = март
month-4 = апрель
month-5 = май
month-6 = июнь
month-7 = июль
month-8 = август
month-9 = сентябрь
month-10 = октябрь
month-11 = ноябрь
month-12 = декабрь
month-of-1 = янв.
month-of-2 = февр.
month-of-3 = мар.
month-of-4 = апр.
month-of-5 = мая
month-of-6 = июн.
month-of-7 = июл.
month-of-8 = авг.
month-of-9 = сент.
month-of-10 = окт.
month-of-11 = нояб.
month-of-12 = дек.
month-short-1 = янв.
month-short-2 = февр.
month-short-3 = март
month-short-4 = апр.
month-short-5 = май
month-short-6 = июнь
month-short-7 = июль
month-short-8 = авг.
month-short-9 = сент.
month-short-10 = окт.
month-short-11 = нояб.
month-short-12 = дек.
weekday-1 = пн
weekday-2 = вт
weekday-3 = ср
weekday-4 = чт
weekday-5 = пт
weekday-6 = сб
weekday-7 = вс
# Месяц года: $month (название month-N), $mnum (его номер), $year.
date-month = { $month } { $year }
# День: $day, $month (форма month-of-N), $mnum, $year.
date-day = { $day } { $month } { $year } г.
# Момент по UTC: $date (date-day), $time (24 часа, ЧЧ:ММ).
date-utc = { $date }, { $time } UTC
# Момент по часам отправителя: $weekday, $date, $time, $zone (+0200).
date-local = { $weekday }, { $date }, { $time } { $zone }
date-none = (без даты)

## The front page

index-title = Архивы списков рассылки
index-col-list = Список
index-col-messages = Сообщения
index-col-since = Начало
index-col-last = Последнее сообщение
index-col-activity = Активность
index-empty = Списков пока нет. Импортируйте список командой:
chart-index-label = Сообщения по месяцам за последние два года

## A list's page

list-title = Архив { $list }
list-download = скачать всё (mbox.gz)
list-feed = Лента Atom
list-chart-caption = Сообщения по месяцам
chart-list-label = Сообщения по месяцам за последние пять лет; в таблице ниже — число сообщений за каждый месяц
list-by-month = Архив по месяцам
list-col-year = Год
list-col-total = Всего
list-recent = Недавние обсуждения
# $n сообщений в обсуждении, последнее — $date.
thread-summary = { $n ->
    [one] { $n } сообщение
    [few] { $n } сообщения
    [many] { $n } сообщений
   *[other] { $n } сообщения
}, последнее { $date }
feed-list-title = { $list }: новые сообщения

## A month's pages

# $list, $month (date-month), $order (слово order-…). Слова order-… стоят в дательном
# падеже: «по обсуждениям», «сортировка по: дате».
month-title = { $list }, { $month }, по { $order }
month-sorted-by = сортировка по:
order-thread = обсуждениям
order-date = дате
order-author = автору
order-subject = теме
month-nav = Месяцы
month-prev = ← предыдущий месяц
month-next = следующий месяц →
month-group-none = (нет)

## A message's page

msg-from = От
msg-date = Дата
msg-lists = Списки
msg-id = Message-ID
msg-reply = Ответить
msg-thread = Обсуждение ({ $n })
msg-raw = Исходное сообщение
msg-signed = Это сообщение подписано; архив не проверяет подпись.
msg-image-alt = вложенное изображение
msg-attachments = Вложения
msg-attachment-unnamed = вложение { $n }
# $type (MIME-тип) и размер в байтах, $n.
msg-attachment-size = { $type }, { $n ->
    [one] { $n } байт
    [few] { $n } байта
    [many] { $n } байтов
   *[other] { $n } байта
}
msg-nav-label = Соседние сообщения
msg-prev-date = ← предыдущее по дате:
msg-next-date = → следующее по дате:
msg-first = первое сообщение списка
msg-last = последнее сообщение списка
msg-prev-thread = ← предыдущее в обсуждении
msg-next-thread = следующее в обсуждении →
msg-thread-heading = Обсуждение
msg-unreadable-attached = (нечитаемое вложенное сообщение)

## What the renderer adds to a message's text

quote-show = { $n ->
    [one] показать цитату ({ $n } строка)
    [few] показать цитату ({ $n } строки)
    [many] показать цитату ({ $n } строк)
   *[other] показать цитату ({ $n } строки)
}
quote-lines = { $n ->
    [one] { $n } строка
    [few] { $n } строки
    [many] { $n } строк
   *[other] { $n } строки
}
quote-link-title = Цитируемое сообщение
note-truncated = Это сообщение слишком велико, чтобы показать его целиком; скачайте исходное сообщение.
note-plain = Это сообщение большое: оно показано как простой текст, без ссылок.
note-html-as-text = HTML этого сообщения слишком велик или сложен для показа; вместо него показана текстовая версия.
stub-removed = Вложение (удалено списком рассылки)
stub-attachment = вложение
stub-original = исходное вложение

## A thread's page

thread-crumb = обсуждение
thread-feed-title = это обсуждение
thread-permalink = постоянная ссылка
thread-raw = исходный текст
thread-removed = Это сообщение удалено.
thread-long = Обсуждение длинное: это сообщение показано на отдельной странице.

## Several lists hold one message

choice-title = Сообщение { $id }
choice-heading = Это сообщение отправлено в несколько списков рассылки

## Search

search-title = Поиск
search-title-query = { $q } · поиск
search-crumb = поиск
search-heading-all = Поиск по всем спискам
search-heading-list = Поиск
search-words-label = Что искать
search-form-label = Поиск с параметрами
search-placeholder = слова, "фраза", from:имя, date:2016
search-order = Порядок
search-order-relevance = по релевантности
search-order-new = сначала новые
search-order-old = сначала старые
search-per-thread = один результат на обсуждение
search-button = Найти
search-feed-title = Эти результаты
help-summary = Как искать
help-words = сообщения с обоими словами (учитываются формы слова: patch находит patches)
help-phrase = эти слова в этом порядке, как написано
help-operators = исключить, любое из двух, группировка
help-from = имя или адрес отправителя
help-fields = только в теме, только в тексте
help-filters = один список, одно сообщение, сообщения с вложениями
help-dates = даты: год, месяц или день; диапазоны включают обе границы
search-lag = { $n ->
    [one] Индекс ещё не учёл { $n } недавнее изменение; самые новые сообщения могут быть не видны несколько секунд.
    [few] Индекс ещё не учёл { $n } недавних изменения; самые новые сообщения могут быть не видны несколько секунд.
    [many] Индекс ещё не учёл { $n } недавних изменений; самые новые сообщения могут быть не видны несколько секунд.
   *[other] Индекс ещё не учёл { $n } недавнего изменения; самые новые сообщения могут быть не видны несколько секунд.
}
# $n результатов, найденных за $ms миллисекунд.
search-stats-results = { $n ->
    [one] { $n } результат за { $ms } мс
    [few] { $n } результата за { $ms } мс
    [many] { $n } результатов за { $ms } мс
   *[other] { $n } результата за { $ms } мс
}
search-stats-threads = { $n ->
    [one] { $n } обсуждение за { $ms } мс
    [few] { $n } обсуждения за { $ms } мс
    [many] { $n } обсуждений за { $ms } мс
   *[other] { $n } обсуждения за { $ms } мс
}
search-stats-threads-capped = { $n ->
    [one] { $n } обсуждение среди первых 1 000 результатов, за { $ms } мс
    [few] { $n } обсуждения среди первых 1 000 результатов, за { $ms } мс
    [many] { $n } обсуждений среди первых 1 000 результатов, за { $ms } мс
   *[other] { $n } обсуждения среди первых 1 000 результатов, за { $ms } мс
}
search-facets = Уточнить результаты
search-facet-lists = Списки
search-facet-years = Годы
search-thread-matches = { $n ->
    [one] { $n } совпадение в обсуждении
    [few] { $n } совпадения в обсуждении
    [many] { $n } совпадений в обсуждении
   *[other] { $n } совпадения в обсуждении
}
search-none = Ничего не найдено. Меньше слов или слова без префикса найдут больше.
feed-search-title = Поиск: { $q }
note-no-list = Открытого списка рассылки «{ $list }» нет.
# В note-query-cut и note-query-terms $n передаётся как текст (1000 и 32), поэтому
# формы множественного числа здесь не выбираются: оборот «до … символов/условий» верен
# для обоих чисел.
note-query-cut = Запрос обрезан до первых { $n } символов.
note-query-terms = Запрос сокращён до первых { $n } условий.
note-unknown-has = Условие has:{ $what } неизвестно; поддерживается только has:attachment.
note-bad-date = Поиск не распознаёт «{ $term }» как дату (пишите 2016, 2016-04 или 2016-04-01).

## Logging in

login-title = Вход
login-intro = Участники списков рассылки с закрытыми архивами входят, чтобы читать эти архивы.
login-user = Имя пользователя
login-password = Пароль
login-button = Войти
login-expired = Срок действия формы истёк. Попробуйте ещё раз.
login-wrong = Неверное имя пользователя или пароль.
login-throttled = Слишком много неудачных попыток. Подождите несколько минут и попробуйте снова.

## Errors

error-all-lists = Все списки
error-not-found = Не найдено
error-gone = Удалено
error-gone-hint = Это сообщение удалено из архива.
error-bad-request = Неверный запрос
error-forbidden = Доступ запрещён
error-forbidden-hint = Срок действия формы истёк. Вернитесь назад, обновите страницу и попробуйте снова.
error-busy = Сервер занят
error-busy-hint = Архив занят. Попробуйте ещё раз через несколько секунд.
error-internal = Внутренняя ошибка
error-nul = Адрес содержит символ (NUL), которого нет нигде в архиве.
error-unreadable-address = Не удаётся прочитать этот адрес.
error-no-list = Открытого списка рассылки «{ $list }» нет. Все списки перечислены на главной странице.
error-no-message = Сообщения <{ $key }> нет в архиве { $list }.
error-no-message-anywhere = Сообщения <{ $key }> нет в доступных вам списках.
error-no-list-archives = Сообщения <{ $id }> нет ни в одном архиве списков.
error-empty-month = В { $list } нет сообщений за { $month }. Месяцы, за которые сообщения есть, перечислены на обзорной странице списка.
error-old-address = Старый адрес архива «{ $what }» списка { $list } ничему в этом архиве не соответствует. Воспользуйтесь поиском выше или обзорной страницей списка.
error-no-language = Этот язык в архиве недоступен.
