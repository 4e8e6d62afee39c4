# Interfaz web de larch, en español.

## Todas las páginas

skip-to-content = Saltar al contenido
nav-site = Sitio
nav-lists = Listas
nav-languages = Idioma
search-box-label = Buscar en los archivos
search-box-placeholder = Buscar
login-link = Iniciar sesión
logout-button = Cerrar sesión
footer-archived-by = Archivado por larch
private-badge = privada
private-hint = Solo los miembros de la lista pueden leer este archivo
no-subject = (sin asunto)
count-messages = { $n ->
    [one] { $n } mensaje
   *[other] { $n } mensajes
}
count-threads = { $n ->
    [one] { $n } hilo
   *[other] { $n } hilos
}
pages-nav = Páginas
pages-nav-bottom = Páginas, al final
pages-label = Página
pages-prev = ← anterior
pages-next = siguiente →

## Fechas: nombres de los meses (títulos, fechas, columnas) y días de la semana abreviados, empezando por el lunes.

month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
month-of-1 = ene
month-of-2 = feb
month-of-3 = mar
month-of-4 = abr
month-of-5 = may
month-of-6 = jun
month-of-7 = jul
month-of-8 = ago
month-of-9 = sept
month-of-10 = oct
month-of-11 = nov
month-of-12 = dic
month-short-1 = ene
month-short-2 = feb
month-short-3 = mar
month-short-4 = abr
month-short-5 = may
month-short-6 = jun
month-short-7 = jul
month-short-8 = ago
month-short-9 = sept
month-short-10 = oct
month-short-11 = nov
month-short-12 = dic
weekday-1 = lun
weekday-2 = mar
weekday-3 = mié
weekday-4 = jue
weekday-5 = vie
weekday-6 = sáb
weekday-7 = dom
date-month = { $month } de { $year }
date-day = { $day } { $month } { $year }
date-utc = { $date }, { $time } UTC
date-local = { $weekday }, { $date }, { $time } { $zone }
date-none = (sin fecha)

## Página principal

index-title = Archivos de las listas de correo
index-col-list = Lista
index-col-messages = Mensajes
index-col-since = Desde
index-col-last = Último mensaje
index-col-activity = Actividad
index-empty = Todavía no hay listas. Importe una con:
chart-index-label = Mensajes por mes en los últimos dos años

## Página de una lista

list-title = Archivos de { $list }
list-download = descargar todo (mbox.gz)
list-feed = Canal Atom
list-chart-caption = Mensajes por mes
chart-list-label = Mensajes por mes en los últimos cinco años; la tabla inferior indica el total de cada mes
list-by-month = Archivos por mes
list-col-year = Año
list-col-total = Total
list-recent = Hilos recientes
thread-summary = { $n ->
    [one] { $n } mensaje
   *[other] { $n } mensajes
}, el último el { $date }
feed-list-title = { $list }: mensajes nuevos

## Páginas de un mes

month-title = { $list }, { $month }, por { $order }
month-sorted-by = ordenado por
order-thread = hilo
order-date = fecha
order-author = autor
order-subject = asunto
month-nav = Meses
month-prev = ← mes anterior
month-next = mes siguiente →
month-group-none = (ninguno)

## Página de un mensaje

msg-from = De
msg-date = Fecha
msg-lists = Listas
msg-id = Message-ID
msg-reply = Responder
msg-thread = Hilo ({ $n })
msg-raw = Mensaje original
msg-signed = Este mensaje está firmado; el archivo no verifica la firma.
msg-image-alt = imagen adjunta
msg-attachments = Adjuntos
msg-attachment-unnamed = adjunto { $n }
msg-attachment-size = { $type }, { $n ->
    [one] { $n } byte
   *[other] { $n } bytes
}
msg-nav-label = Mensajes contiguos
msg-prev-date = ← anterior por fecha:
msg-next-date = → siguiente por fecha:
msg-first = primer mensaje de la lista
msg-last = último mensaje de la lista
msg-prev-thread = ← anterior en el hilo
msg-next-thread = siguiente en el hilo →
msg-thread-heading = Hilo
msg-unreadable-attached = (mensaje adjunto ilegible)

## Lo que el renderizado añade al texto de un mensaje

quote-show = { $n ->
    [one] mostrar el texto citado ({ $n } línea)
   *[other] mostrar el texto citado ({ $n } líneas)
}
quote-lines = { $n ->
    [one] { $n } línea
   *[other] { $n } líneas
}
quote-link-title = El mensaje citado
note-truncated = Este mensaje es demasiado grande para mostrarlo completo; descargue el mensaje original.
note-plain = Este mensaje es grande: se muestra como texto sin formato, sin enlaces.
note-html-as-text = El HTML de este mensaje es demasiado grande o complejo para mostrarlo; en su lugar se muestra su versión de texto.
stub-removed = Adjunto (eliminado por la lista)
stub-attachment = adjunto
stub-original = adjunto original

## Página de un hilo

thread-crumb = hilo
thread-feed-title = este hilo
thread-permalink = enlace permanente
thread-raw = original
thread-removed = Este mensaje se eliminó.
thread-long = Este hilo es largo: este mensaje se muestra en su propia página.

## Un mensaje en varias listas

choice-title = Mensaje { $id }
choice-heading = Este mensaje se envió a varias listas

## Búsqueda

search-title = Búsqueda
search-title-query = { $q } · búsqueda
search-crumb = búsqueda
search-heading-all = Buscar en todas las listas
search-heading-list = Buscar en
search-words-label = Palabras que buscar
search-form-label = Búsqueda con opciones
# Las comillas rectas forman parte de la sintaxis de búsqueda: no las cambie por comillas angulares.
search-placeholder = palabras, "una frase", from:nombre, date:2016
search-order = Orden
search-order-relevance = más relevantes
search-order-new = más recientes primero
search-order-old = más antiguos primero
search-per-thread = un resultado por hilo
search-button = Buscar
search-feed-title = Estos resultados
help-summary = Cómo buscar
help-words = mensajes con ambas palabras (se reconocen las variantes: patch encuentra patches)
help-phrase = estas palabras en este orden, tal como están escritas
help-operators = excluir, una u otra, agrupar
help-from = nombre o dirección del remitente
help-fields = solo en el asunto, solo en el texto
help-filters = una lista, un mensaje, mensajes con adjuntos
help-dates = fechas: un año, un mes o un día; los intervalos incluyen ambos extremos
search-lag = { $n ->
    [one] El índice se está poniendo al día con { $n } cambio reciente; puede que el correo más nuevo tarde unos segundos en aparecer.
   *[other] El índice se está poniendo al día con { $n } cambios recientes; puede que el correo más nuevo tarde unos segundos en aparecer.
}
search-stats-results = { $n ->
    [one] { $n } resultado en { $ms } ms
   *[other] { $n } resultados en { $ms } ms
}
search-stats-threads = { $n ->
    [one] { $n } hilo en { $ms } ms
   *[other] { $n } hilos en { $ms } ms
}
search-stats-threads-capped = { $n ->
    [one] { $n } hilo entre los primeros 1000 resultados, en { $ms } ms
   *[other] { $n } hilos entre los primeros 1000 resultados, en { $ms } ms
}
search-facets = Refinar los resultados
search-facet-lists = Listas
search-facet-years = Años
search-thread-matches = { $n ->
    [one] { $n } coincidencia en el hilo
   *[other] { $n } coincidencias en el hilo
}
search-none = No se encontró nada. Con menos palabras, o con palabras sin prefijo, se encuentran más resultados.
feed-search-title = Búsqueda: { $q }
note-no-list = No existe ninguna lista pública llamada «{ $list }».
note-query-cut = Solo se usaron los primeros { $n } caracteres de la consulta.
note-query-terms = Solo se usaron los primeros { $n } términos de la consulta.
note-unknown-has = has:{ $what } no se reconoce; solo se admite has:attachment.
note-bad-date = «{ $term }» no es una fecha que esta búsqueda entienda (use 2016, 2016-04 o 2016-04-01).

## Inicio de sesión

login-title = Iniciar sesión
login-intro = Los miembros de listas con archivos privados inician sesión para leerlos.
login-user = Nombre de usuario
login-password = Contraseña
login-button = Iniciar sesión
login-expired = El formulario había caducado. Inténtelo de nuevo.
login-wrong = Nombre de usuario o contraseña incorrectos.
login-throttled = Demasiados intentos fallidos. Espere unos minutos e inténtelo de nuevo.

## Errores

error-all-lists = Todas las listas
error-not-found = No encontrado
error-gone = Eliminado
error-gone-hint = Este mensaje se eliminó del archivo.
error-bad-request = Solicitud incorrecta
error-forbidden = Prohibido
error-forbidden-hint = El formulario había caducado. Vuelva atrás, recargue la página e inténtelo de nuevo.
error-busy = Ocupado
error-busy-hint = El archivo está ocupado. Inténtelo de nuevo en unos segundos.
error-internal = Error interno
error-nul = La dirección contiene un carácter (NUL) que no aparece en ninguna parte del archivo.
error-unreadable-address = No se puede leer esta dirección.
error-no-list = No existe ninguna lista pública llamada «{ $list }». Todas las listas están en la página principal.
error-no-message = El mensaje <{ $key }> no está en el archivo de { $list }.
error-no-message-anywhere = No hay ningún mensaje <{ $key }> en las listas que puede leer.
error-no-list-archives = Ninguna lista archiva el mensaje <{ $id }>.
error-empty-month = { $list } no tiene mensajes en { $month }. Consulte la página de la lista para ver qué meses tiene.
error-old-address = La antigua dirección de archivo «{ $what }» de { $list } no corresponde a nada en este archivo. Pruebe el cuadro de búsqueda de arriba o la página de la lista.
error-no-language = Este archivo no está disponible en ese idioma.
