# واجهة larch على الويب باللغة العربية (Arabic). المفاتيح نفسها التي في en.ftl وبالترتيب نفسه.
#
# الوسائط: $n عدد (يختار صيغة الجمع: zero وone وtwo وfew وmany وother)؛ و$list و$q و$key
# و$id وما شابهها نصوص من الأرشيف أو من القارئ تُعرض كما هي. الأرقام لاتينية (0-9).
# الصفحة من اليمين إلى اليسار: السهم → يعني «السابق» و← يعني «التالي».

## Every page

skip-to-content = انتقل إلى المحتوى
nav-site = الموقع
nav-lists = القوائم
nav-languages = اللغة
search-box-label = البحث في الأرشيف
search-box-placeholder = بحث
login-link = تسجيل الدخول
logout-button = تسجيل الخروج
footer-archived-by = الأرشفة بواسطة larch
private-badge = خاصة
private-hint = لا يطّلع على هذا الأرشيف إلا أعضاء القائمة
no-subject = (بلا موضوع)
count-messages = { $n ->
    [zero] لا رسائل
    [one] رسالة واحدة
    [two] رسالتان
    [few] { $n } رسائل
    [many] { $n } رسالة
   *[other] { $n } رسالة
}
count-threads = { $n ->
    [zero] لا سلاسل
    [one] سلسلة واحدة
    [two] سلسلتان
    [few] { $n } سلاسل
    [many] { $n } سلسلة
   *[other] { $n } سلسلة
}
pages-nav = الصفحات
pages-nav-bottom = الصفحات (أسفل الصفحة)
pages-label = الصفحة
pages-prev = → السابق
pages-next = التالي ←

## Dates: month names as headings and calendars show them, as a date writes them, and
## abbreviated for table columns; weekdays abbreviated, Monday first.
# أسماء الأشهر الميلادية كما في CLDR، والاسم نفسه في العناوين وداخل التاريخ وفي الجداول.

month-1 = يناير
month-2 = فبراير
month-3 = مارس
month-4 = أبريل
month-5 = مايو
month-6 = يونيو
month-7 = يوليو
month-8 = أغسطس
month-9 = سبتمبر
month-10 = أكتوبر
month-11 = نوفمبر
month-12 = ديسمبر
month-of-1 = يناير
month-of-2 = فبراير
month-of-3 = مارس
month-of-4 = أبريل
month-of-5 = مايو
month-of-6 = يونيو
month-of-7 = يوليو
month-of-8 = أغسطس
month-of-9 = سبتمبر
month-of-10 = أكتوبر
month-of-11 = نوفمبر
month-of-12 = ديسمبر
month-short-1 = يناير
month-short-2 = فبراير
month-short-3 = مارس
month-short-4 = أبريل
month-short-5 = مايو
month-short-6 = يونيو
month-short-7 = يوليو
month-short-8 = أغسطس
month-short-9 = سبتمبر
month-short-10 = أكتوبر
month-short-11 = نوفمبر
month-short-12 = ديسمبر
weekday-1 = الاثنين
weekday-2 = الثلاثاء
weekday-3 = الأربعاء
weekday-4 = الخميس
weekday-5 = الجمعة
weekday-6 = السبت
weekday-7 = الأحد
# شهر من سنة: $month (اسم month-N)، و$mnum (رقمه)، و$year.
date-month = { $month } { $year }
# يوم: $day، و$month (اسم month-of-N)، و$mnum، و$year.
date-day = { $day } { $month } { $year }
# لحظة بتوقيت UTC: $date (تاريخ date-day)، و$time (بنظام 24 ساعة HH:MM).
date-utc = { $date }، { $time } UTC
# لحظة حسب ساعة المرسل: $weekday، و$date، و$time، و$zone (+0200).
date-local = { $weekday }، { $date }، { $time } { $zone }
date-none = (بلا تاريخ)

## The front page

index-title = أرشيف القوائم البريدية
index-col-list = القائمة
index-col-messages = الرسائل
index-col-since = منذ
index-col-last = آخر رسالة
index-col-activity = النشاط
index-empty = لا توجد قوائم بعد. استورد قائمة بالأمر:
chart-index-label = عدد الرسائل شهريًا خلال السنتين الأخيرتين

## A list's page

list-title = أرشيف { $list }
list-download = تنزيل الكل (mbox.gz)
list-feed = موجز Atom
list-chart-caption = عدد الرسائل شهريًا
chart-list-label = عدد الرسائل شهريًا خلال السنوات الخمس الأخيرة؛ يبيّن الجدول أدناه عدد رسائل كل شهر
list-by-month = الأرشيف حسب الشهر
list-col-year = السنة
list-col-total = المجموع
list-recent = أحدث السلاسل
# $n رسالة في السلسلة، آخرها في $date.
thread-summary = { $n ->
    [zero] لا رسائل
    [one] رسالة واحدة
    [two] رسالتان
    [few] { $n } رسائل
    [many] { $n } رسالة
   *[other] { $n } رسالة
}، آخرها في { $date }
feed-list-title = { $list }: رسائل جديدة

## A month's pages

# $list، و$month (تاريخ date-month)، و$order (إحدى كلمات order-…).
month-title = { $list }، { $month }، حسب { $order }
month-sorted-by = الترتيب حسب
order-thread = السلسلة
order-date = التاريخ
order-author = المرسل
order-subject = الموضوع
month-nav = الأشهر
month-prev = → الشهر السابق
month-next = الشهر التالي ←
month-group-none = (لا شيء)

## A message's page

msg-from = من
msg-date = التاريخ
msg-lists = القوائم
msg-id = Message-ID
msg-reply = رد
msg-thread = السلسلة ({ $n })
msg-raw = الرسالة الخام
msg-signed = هذه الرسالة موقّعة؛ لا يتحقق الأرشيف من التوقيع.
msg-image-alt = صورة مرفقة
msg-attachments = المرفقات
msg-attachment-unnamed = مرفق { $n }
# $type (نوع MIME) وحجمه بالبايت، $n.
msg-attachment-size = { $type }، { $n ->
    [zero] { $n } بايت
    [one] بايت واحد
    [two] بايتان
    [few] { $n } بايتات
    [many] { $n } بايتًا
   *[other] { $n } بايت
}
msg-nav-label = الرسائل المجاورة
msg-prev-date = → السابق حسب التاريخ:
msg-next-date = ← التالي حسب التاريخ:
msg-first = أول رسالة في القائمة
msg-last = آخر رسالة في القائمة
msg-prev-thread = → السابق في السلسلة
msg-next-thread = التالي في السلسلة ←
msg-thread-heading = سلسلة الرسائل
msg-unreadable-attached = (رسالة مرفقة تتعذّر قراءتها)

## What the renderer adds to a message's text

quote-show = { $n ->
    [zero] إظهار النص المقتبس (لا أسطر)
    [one] إظهار النص المقتبس (سطر واحد)
    [two] إظهار النص المقتبس (سطران)
    [few] إظهار النص المقتبس ({ $n } أسطر)
    [many] إظهار النص المقتبس ({ $n } سطرًا)
   *[other] إظهار النص المقتبس ({ $n } سطر)
}
quote-lines = { $n ->
    [zero] لا أسطر
    [one] سطر واحد
    [two] سطران
    [few] { $n } أسطر
    [many] { $n } سطرًا
   *[other] { $n } سطر
}
quote-link-title = الرسالة المقتبسة
note-truncated = هذه الرسالة أكبر من أن تُعرض كاملة؛ نزّل الرسالة الخام.
note-plain = هذه الرسالة كبيرة: تُعرض نصًا عاديًا بلا روابط.
note-html-as-text = شيفرة HTML في هذه الرسالة أكبر أو أعقد من أن تُعرض؛ تُعرض نسختها النصية بدلًا منها.
stub-removed = مرفق (حذفته القائمة)
stub-attachment = مرفق
stub-original = المرفق الأصلي

## A thread's page

thread-crumb = سلسلة
thread-feed-title = هذه السلسلة
thread-permalink = رابط دائم
thread-raw = خام
thread-removed = حُذفت هذه الرسالة.
thread-long = هذه السلسلة طويلة: تُعرض هذه الرسالة في صفحة مستقلة.

## Several lists hold one message

choice-title = الرسالة { $id }
choice-heading = أُرسلت هذه الرسالة إلى عدة قوائم

## Search

search-title = بحث
search-title-query = { $q } · بحث
search-crumb = بحث
search-heading-all = البحث في كل القوائم
search-heading-list = بحث
search-words-label = الكلمات المطلوبة
search-form-label = بحث مع خيارات
search-placeholder = كلمات، "عبارة"، from:اسم، date:2016
search-order = الترتيب
search-order-relevance = الأكثر صلة
search-order-new = الأحدث أولًا
search-order-old = الأقدم أولًا
search-per-thread = نتيجة واحدة لكل سلسلة
search-button = بحث
search-feed-title = هذه النتائج
help-summary = طريقة البحث
help-words = الرسائل التي تحوي الكلمتين معًا (تُطابَق صيغ الكلمة: patch تجد patches)
help-phrase = هذه الكلمات بهذا الترتيب كما كُتبت
help-operators = استبعاد، أيٌّ منهما، تجميع
help-from = اسم المرسل أو عنوانه
help-fields = في الموضوع فقط، في النص فقط
help-filters = قائمة واحدة، رسالة واحدة، رسائل ذات مرفقات
help-dates = التواريخ: سنة أو شهر أو يوم؛ يشمل النطاق طرفيه
search-lag = { $n ->
    [zero] لا تغييرات حديثة بانتظار الفهرسة؛ قد لا تظهر أحدث الرسائل إلا بعد بضع ثوانٍ.
    [one] لم يُفهرس بعدُ تغيير حديث واحد؛ قد لا تظهر أحدث الرسائل إلا بعد بضع ثوانٍ.
    [two] لم يُفهرس بعدُ تغييران حديثان؛ قد لا تظهر أحدث الرسائل إلا بعد بضع ثوانٍ.
    [few] لم تُفهرس بعدُ { $n } تغييرات حديثة؛ قد لا تظهر أحدث الرسائل إلا بعد بضع ثوانٍ.
    [many] لم يُفهرس بعدُ { $n } تغييرًا حديثًا؛ قد لا تظهر أحدث الرسائل إلا بعد بضع ثوانٍ.
   *[other] لم يُفهرس بعدُ { $n } تغيير حديث؛ قد لا تظهر أحدث الرسائل إلا بعد بضع ثوانٍ.
}
# $n نتيجة، وُجدت في $ms ملّي ثانية.
search-stats-results = { $n ->
    [zero] لا نتائج في { $ms } ملّي ثانية
    [one] نتيجة واحدة في { $ms } ملّي ثانية
    [two] نتيجتان في { $ms } ملّي ثانية
    [few] { $n } نتائج في { $ms } ملّي ثانية
    [many] { $n } نتيجة في { $ms } ملّي ثانية
   *[other] { $n } نتيجة في { $ms } ملّي ثانية
}
search-stats-threads = { $n ->
    [zero] لا سلاسل في { $ms } ملّي ثانية
    [one] سلسلة واحدة في { $ms } ملّي ثانية
    [two] سلسلتان في { $ms } ملّي ثانية
    [few] { $n } سلاسل في { $ms } ملّي ثانية
    [many] { $n } سلسلة في { $ms } ملّي ثانية
   *[other] { $n } سلسلة في { $ms } ملّي ثانية
}
search-stats-threads-capped = { $n ->
    [zero] لا سلاسل ضمن أول 1,000 نتيجة، في { $ms } ملّي ثانية
    [one] سلسلة واحدة ضمن أول 1,000 نتيجة، في { $ms } ملّي ثانية
    [two] سلسلتان ضمن أول 1,000 نتيجة، في { $ms } ملّي ثانية
    [few] { $n } سلاسل ضمن أول 1,000 نتيجة، في { $ms } ملّي ثانية
    [many] { $n } سلسلة ضمن أول 1,000 نتيجة، في { $ms } ملّي ثانية
   *[other] { $n } سلسلة ضمن أول 1,000 نتيجة، في { $ms } ملّي ثانية
}
search-facets = تضييق النتائج
search-facet-lists = القوائم
search-facet-years = السنوات
search-thread-matches = { $n ->
    [zero] لا رسائل مطابقة في السلسلة
    [one] رسالة مطابقة واحدة في السلسلة
    [two] رسالتان مطابقتان في السلسلة
    [few] { $n } رسائل مطابقة في السلسلة
    [many] { $n } رسالة مطابقة في السلسلة
   *[other] { $n } رسالة مطابقة في السلسلة
}
search-none = لم يُعثر على شيء. كلمات أقل، أو كلمات بلا بادئة، تجد نتائج أكثر.
feed-search-title = بحث: { $q }
note-no-list = لا توجد قائمة عامة باسم «{ $list }».
# في note-query-cut وnote-query-terms يصل $n نصًا (1000 و32)، فلا تُختار صيغة الجمع؛
# لذلك تُستعمل صيغة «الأحرف الـN الأولى» التي تصح مع أي عدد.
note-query-cut = استُخدمت الأحرف الـ{ $n } الأولى فقط من الاستعلام.
note-query-terms = استُخدمت عناصر الاستعلام الـ{ $n } الأولى فقط.
note-unknown-has = has:{ $what } غير معروف؛ المعروف فقط has:attachment.
note-bad-date = «{ $term }» ليس تاريخًا يفهمه البحث (استخدم 2016 أو 2016-04 أو 2016-04-01).

## Logging in

login-title = تسجيل الدخول
login-intro = يسجّل أعضاء القوائم ذات الأرشيف الخاص دخولهم لقراءته.
login-user = اسم المستخدم
login-password = كلمة المرور
login-button = تسجيل الدخول
login-expired = انتهت صلاحية النموذج. يُرجى المحاولة مرة أخرى.
login-wrong = اسم المستخدم أو كلمة المرور غير صحيحة.
login-throttled = محاولات فاشلة كثيرة. يُرجى الانتظار بضع دقائق ثم المحاولة مرة أخرى.

## Errors

error-all-lists = كل القوائم
error-not-found = غير موجود
error-gone = محذوفة
error-gone-hint = حُذفت هذه الرسالة من الأرشيف.
error-bad-request = طلب غير صالح
error-forbidden = ممنوع
error-forbidden-hint = انتهت صلاحية النموذج. ارجع وأعد تحميل الصفحة ثم حاول مرة أخرى.
error-busy = مشغول
error-busy-hint = الأرشيف مشغول. يُرجى المحاولة مرة أخرى بعد بضع ثوانٍ.
error-internal = خطأ داخلي
error-nul = يحوي العنوان محرفًا (NUL) لا يوجد في أي شيء في الأرشيف.
error-unreadable-address = تتعذّر قراءة هذا العنوان.
error-no-list = لا توجد قائمة عامة باسم «{ $list }». كل القوائم معروضة في الصفحة الرئيسية.
error-no-message = الرسالة <{ $key }> ليست في أرشيف { $list }.
error-no-message-anywhere = لا توجد رسالة <{ $key }> في القوائم التي يمكنك قراءتها.
error-no-list-archives = لا توجد قائمة تؤرشف الرسالة <{ $id }>.
error-empty-month = لا رسائل في { $list } خلال { $month }. راجع الصفحة العامة للقائمة لمعرفة الأشهر التي فيها رسائل.
error-old-address = عنوان الأرشيف القديم «{ $what }» للقائمة { $list } لا يطابق شيئًا في هذا الأرشيف. جرّب مربع البحث أعلاه أو الصفحة العامة للقائمة.
error-no-language = هذا الأرشيف غير متوفر بتلك اللغة.
