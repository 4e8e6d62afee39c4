# larch 网页界面的简体中文目录（Chinese, Simplified）。键与 en.ftl 相同，顺序一致。
#
# 参数：$n 是数量（中文没有复数变化，直接写 { $n }）；$list、$q、$key、$id 等是来自
# 存档或读者的文本，原样显示。“thread”统一译作“讨论串”，“subject”译作“主题”。

## Every page

skip-to-content = 跳到正文
nav-site = 站点
nav-lists = 列表
nav-languages = 语言
search-box-label = 搜索存档
search-box-placeholder = 搜索
login-link = 登录
logout-button = 退出登录
footer-archived-by = 由 larch 存档
private-badge = 私有
private-hint = 只有该列表的成员可以阅读此存档
no-subject = （无主题）
count-messages = { $n } 封邮件
count-threads = { $n } 个讨论串
pages-nav = 分页
pages-nav-bottom = 分页（底部）
pages-label = 页码
pages-prev = ← 上一页
pages-next = 下一页 →

## Dates: month names as headings and calendars show them, as a date writes them, and
## abbreviated for table columns; weekdays abbreviated, Monday first.

month-1 = 1月
month-2 = 2月
month-3 = 3月
month-4 = 4月
month-5 = 5月
month-6 = 6月
month-7 = 7月
month-8 = 8月
month-9 = 9月
month-10 = 10月
month-11 = 11月
month-12 = 12月
month-of-1 = 1月
month-of-2 = 2月
month-of-3 = 3月
month-of-4 = 4月
month-of-5 = 5月
month-of-6 = 6月
month-of-7 = 7月
month-of-8 = 8月
month-of-9 = 9月
month-of-10 = 10月
month-of-11 = 11月
month-of-12 = 12月
month-short-1 = 1月
month-short-2 = 2月
month-short-3 = 3月
month-short-4 = 4月
month-short-5 = 5月
month-short-6 = 6月
month-short-7 = 7月
month-short-8 = 8月
month-short-9 = 9月
month-short-10 = 10月
month-short-11 = 11月
month-short-12 = 12月
weekday-1 = 周一
weekday-2 = 周二
weekday-3 = 周三
weekday-4 = 周四
weekday-5 = 周五
weekday-6 = 周六
weekday-7 = 周日
# 某年某月：$month（month-N 名称）、$mnum（月份数字）、$year。
date-month = { $year }年{ $mnum }月
# 某一天：$day、$month（month-of-N 名称）、$mnum、$year。
date-day = { $year }年{ $mnum }月{ $day }日
# UTC 时间：$date（date-day）、$time（24 小时制 HH:MM）。
date-utc = { $date } { $time } UTC
# 发件人时钟上的时间：$weekday、$date、$time、$zone（+0200）。
date-local = { $date }{ $weekday } { $time } { $zone }
date-none = （无日期）

## The front page

index-title = 邮件列表存档
index-col-list = 列表
index-col-messages = 邮件数
index-col-since = 起始
index-col-last = 最新邮件
index-col-activity = 活跃度
index-empty = 还没有列表。可用以下命令导入：
chart-index-label = 近两年每月邮件数

## A list's page

list-title = { $list } 存档
list-download = 下载全部（mbox.gz）
list-feed = Atom 订阅源
list-chart-caption = 每月邮件数
chart-list-label = 近五年每月邮件数；下表列出每个月的邮件数
list-by-month = 按月浏览存档
list-col-year = 年份
list-col-total = 合计
list-recent = 最近的讨论串
# 讨论串中有 $n 封邮件，最后一封在 $date。
thread-summary = { $n } 封邮件，最后一封于 { $date }
feed-list-title = { $list }：新邮件

## A month's pages

# $list、$month（date-month）、$order（order-… 中的词）。
month-title = { $list }，{ $month }，按{ $order }排序
month-sorted-by = 排序方式：
order-thread = 讨论串
order-date = 日期
order-author = 作者
order-subject = 主题
month-nav = 月份
month-prev = ← 上个月
month-next = 下个月 →
month-group-none = （无）

## A message's page

msg-from = 发件人
msg-date = 日期
msg-lists = 列表
msg-id = Message-ID
msg-reply = 回复
msg-thread = 讨论串（{ $n }）
msg-raw = 原始邮件
msg-signed = 此邮件带有签名；存档不验证签名。
msg-image-alt = 附件图片
msg-attachments = 附件
msg-attachment-unnamed = 附件 { $n }
# $type（MIME 类型）及其字节数 $n。
msg-attachment-size = { $type }，{ $n } 字节
msg-nav-label = 相邻邮件
msg-prev-date = ← 按日期的上一封：
msg-next-date = → 按日期的下一封：
msg-first = 本列表的第一封邮件
msg-last = 本列表的最后一封邮件
msg-prev-thread = ← 讨论串中的上一封
msg-next-thread = 讨论串中的下一封 →
msg-thread-heading = 讨论串
msg-unreadable-attached = （无法读取的附带邮件）

## What the renderer adds to a message's text

quote-show = 显示引用内容（{ $n } 行）
quote-lines = { $n } 行
quote-link-title = 被引用的邮件
note-truncated = 此邮件过大，无法完整显示；请下载原始邮件。
note-plain = 此邮件较大：以纯文本显示，不带链接。
note-html-as-text = 此邮件的 HTML 过大或过于复杂，无法显示；改为显示其纯文本版本。
stub-removed = 附件（已被列表移除）
stub-attachment = 附件
stub-original = 原始附件

## A thread's page

thread-crumb = 讨论串
thread-feed-title = 此讨论串
thread-permalink = 永久链接
thread-raw = 原始
thread-removed = 此邮件已被移除。
thread-long = 此讨论串较长：此邮件在单独的页面上显示。

## Several lists hold one message

choice-title = 邮件 { $id }
choice-heading = 此邮件发送到了多个列表

## Search

search-title = 搜索
search-title-query = { $q } · 搜索
search-crumb = 搜索
search-heading-all = 搜索所有列表
search-heading-list = 搜索
search-words-label = 要查找的词
search-form-label = 带选项的搜索
search-placeholder = 词语, "短语", from:姓名, date:2016
search-order = 排序
search-order-relevance = 最佳匹配
search-order-new = 最新的在前
search-order-old = 最早的在前
search-per-thread = 每个讨论串只显示一条结果
search-button = 搜索
search-feed-title = 这些结果
help-summary = 如何搜索
help-words = 同时包含这两个词的邮件（匹配词形变化：patch 也能找到 patches）
help-phrase = 按此顺序、原样出现的这些词
help-operators = 排除、任一、分组
help-from = 发件人姓名或地址
help-fields = 仅在主题中、仅在正文中
help-filters = 单个列表、单封邮件、带附件的邮件
help-dates = 日期：年、月或日；范围包含两端
search-lag = 索引正在处理 { $n } 项最近的更改；最新的邮件可能要过几秒钟才能搜到。
# 在 $ms 毫秒内找到 $n 条结果。
search-stats-results = { $n } 条结果，用时 { $ms } 毫秒
search-stats-threads = { $n } 个讨论串，用时 { $ms } 毫秒
search-stats-threads-capped = 前 1,000 条结果中的 { $n } 个讨论串，用时 { $ms } 毫秒
search-facets = 缩小结果范围
search-facet-lists = 列表
search-facet-years = 年份
search-thread-matches = 讨论串中有 { $n } 条匹配
search-none = 未找到结果。减少词语，或使用不带前缀的词语，可以找到更多结果。
feed-search-title = 搜索：{ $q }
note-no-list = 没有名为“{ $list }”的公开列表。
note-query-cut = 只使用了查询的前 { $n } 个字符。
note-query-terms = 只使用了查询的前 { $n } 个检索项。
note-unknown-has = 不支持 has:{ $what }；只支持 has:attachment。
note-bad-date = 搜索无法识别日期“{ $term }”（请使用 2016、2016-04 或 2016-04-01）。

## Logging in

login-title = 登录
login-intro = 存档为私有的列表，其成员登录后即可阅读。
login-user = 用户名
login-password = 密码
login-button = 登录
login-expired = 表单已过期，请重试。
login-wrong = 用户名或密码错误。
login-throttled = 失败次数过多。请等待几分钟后再试。

## Errors

error-all-lists = 所有列表
error-not-found = 未找到
error-gone = 已移除
error-gone-hint = 此邮件已从存档中移除。
error-bad-request = 错误的请求
error-forbidden = 禁止访问
error-forbidden-hint = 表单已过期。请返回并刷新页面，然后重试。
error-busy = 服务繁忙
error-busy-hint = 存档正忙，请几秒钟后重试。
error-internal = 内部错误
error-nul = 该地址包含一个字符（NUL），而存档中没有任何内容包含它。
error-unreadable-address = 无法读取此地址。
error-no-list = 没有名为“{ $list }”的公开列表。所有列表都在首页上。
error-no-message = { $list } 的存档中没有邮件 <{ $key }>。
error-no-message-anywhere = 在您可以阅读的列表中没有邮件 <{ $key }>。
error-no-list-archives = 没有任何列表存档了邮件 <{ $id }>。
error-empty-month = { $list } 在 { $month } 没有邮件。请查看列表概览，了解有邮件的月份。
error-old-address = { $list } 的旧存档地址“{ $what }”在此存档中没有对应的内容。请使用上方的搜索框或查看列表概览。
error-no-language = 此存档不提供该语言。
