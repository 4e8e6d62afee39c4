// Loads pages in a real Chromium and checks what a reader would notice.
//
//   node pages.mjs OUTDIR URL...
//
// A URL written `404=URL` is an error page: it must answer 404, and is checked otherwise as
// every other page.
//
// Every URL is loaded in every shipped language (the browser asks for it with
// Accept-Language), at two widths (phone, desktop), in light and dark colour schemes. Each
// load checks: the HTTP status is below 400, `<html lang dir>` name the language and its
// direction, no message key of the catalogs shows instead of its text, the page does not
// scroll sideways, the console has no errors, and no request failed. English and Arabic
// loads are screenshotted to OUTDIR, and axe-core audits them (both widths, both colour
// schemes): any violation of any impact fails. A keyboard-only walk (Tab, Enter, Space)
// then reaches every control of the message, thread, month and search pages, sees each
// one's focus, and operates the folds, the links and the search form.
// One line is printed per check; the exit code is 1 if any check failed.
//
// It uses Debian's chromium (/usr/bin/chromium, or $CHROMIUM) and never downloads a browser.

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const LANGS = ['en', 'fr', 'es', 'ar', 'ru', 'zh', 'de'];
const RTL = new Set(['ar']);
// Languages whose loads are screenshotted and audited by axe.
const AUDITED = new Set(['en', 'ar']);
const WIDTHS = [360, 1440];
const SCHEMES = ['light', 'dark'];
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// The catalogs' message keys: one showing on a page is a string left untranslated.
const KEYS = new Set(
  readFileSync(join(here, '../../locales/en.ftl'), 'utf8')
    .split('\n')
    .map((l) => l.match(/^([a-z][a-z0-9-]*) =/))
    .filter(Boolean)
    .map((m) => m[1])
    .filter((k) => k.includes('-')),
);

const [outDir, ...urls] = process.argv.slice(2);
if (!outDir || urls.length === 0) {
  console.error('usage: node pages.mjs OUTDIR URL...');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const failures = [];
let passed = 0;

function check(label, name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label} ${name}${detail ? `: ${detail}` : ''}`);
  if (ok) passed++;
  else failures.push(`${label} ${name}: ${detail}`);
}

// "/larch-users/t/a%40b/" -> "larch-users_t_a_40b"; "/" -> "index".
function slug(url) {
  const u = new URL(url);
  const s = (u.pathname + u.search).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');
  return s || 'index';
}

// Runs in the page: the width it scrolls to, and the element sticking out furthest past
// the window's edge on either side (the deepest one, when a parent sticks out only because
// of its child; elements inside a box that scrolls or clips on its own do not widen the
// page and are skipped).
function measureOverflow() {
  const limit = window.innerWidth;
  let worst = null;
  let worstBy = 0;
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (clipped(el) || el.classList.contains('skip')) continue;
    const r = el.getBoundingClientRect();
    const by = Math.max(r.right + window.scrollX - limit, -(r.left + window.scrollX));
    if (by > 0 && by >= worstBy) {
      worst = el;
      worstBy = by;
    }
  }
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += `#${el.id}`;
    for (const c of el.classList) s += `.${c}`;
    return s;
  };
  let path = null;
  if (worst) {
    const parts = [];
    for (let el = worst; el && el !== document.body && parts.length < 4; el = el.parentElement) {
      parts.unshift(describe(el));
    }
    const text = (worst.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60);
    path = `${parts.join(' > ')} (${Math.round(worstBy)}px past the edge` +
      `${text ? `, text "${text}"` : ''})`;
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    innerWidth: limit,
    path,
  };
}

// Runs in the page: its language and direction, and every word of its interface text
// (visible text, the title, and the attributes readers and assistive technology read).
function pageWords() {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
    for (const a of ['aria-label', 'title', 'placeholder', 'alt']) {
      const v = el.getAttribute(a);
      if (v) parts.push(v);
    }
  }
  return {
    lang: document.documentElement.getAttribute('lang'),
    dir: document.documentElement.getAttribute('dir'),
    words: parts.join(' ').match(/[a-z][a-z0-9-]*/g) || [],
  };
}

async function newPage(browser, lang, width, scheme) {
  const context = await browser.newContext({
    viewport: { width, height: 900 },
    locale: lang,
    extraHTTPHeaders: { 'Accept-Language': lang },
  });
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme: scheme });
  const seen = { consoleErrors: [], badRequests: [] };
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url;
    seen.consoleErrors.push(where ? `${msg.text()} [${where}]` : msg.text());
  });
  page.on('pageerror', (err) => seen.consoleErrors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => {
    seen.badRequests.push(`${req.url()} (${req.failure()?.errorText ?? 'failed'})`);
  });
  page.on('response', (res) => {
    const req = res.request();
    const isPage = req.isNavigationRequest() && req.frame() === page.mainFrame();
    if (!isPage && res.status() >= 400) seen.badRequests.push(`${res.url()} (HTTP ${res.status()})`);
  });
  return { context, page, seen };
}

async function axeAudit(page, label) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    // Every rule axe ships that is not experimental: WCAG 2.0-2.2 A and AA, and its best
    // practices.
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
    }));
  });
  check(label, 'axe: no violations', result.length === 0,
    result.map((v) => `${v.id} (${v.impact}) ${v.nodes.join(' ; ')}`).join(' | '));
}

async function checkPage(tab, spec, lang, width, scheme) {
  const { page, seen } = tab;
  const expected = spec.startsWith('404=') ? 404 : null;
  const url = expected ? spec.slice(4) : spec;
  seen.consoleErrors.length = 0;
  seen.badRequests.length = 0;
  const label = `${new URL(url).pathname}${new URL(url).search} [${lang}] @${width} ${scheme}`;
  try {
    const response = await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    const status = response ? response.status() : 0;
    check(label, 'status', expected ? status === expected : status > 0 && status < 400, `HTTP ${status}`);

    const w = await page.evaluate(pageWords);
    const dir = RTL.has(lang) ? 'rtl' : 'ltr';
    check(label, 'lang and dir', w.lang === lang && w.dir === dir, `lang=${w.lang} dir=${w.dir}`);
    const raw = [...new Set(w.words.filter((x) => KEYS.has(x)))];
    check(label, 'no untranslated key', raw.length === 0, raw.join(', '));

    const o = await page.evaluate(measureOverflow);
    const fits = o.scrollWidth <= o.innerWidth && o.scrollWidth <= o.clientWidth && !o.path;
    check(label, 'no horizontal scroll', fits,
      fits
        ? `${o.scrollWidth} <= ${o.clientWidth}`
        : `page is ${o.scrollWidth}px wide in a ${o.innerWidth}px window; widest: ${o.path ?? '(none found)'}`);

    // The browser logs an error page's own status as an error: that one is expected.
    const errors = seen.consoleErrors.filter((e) => !(expected && e.endsWith(`[${url}]`) && e.includes(`${expected}`)));
    check(label, 'no console errors', errors.length === 0, errors.join(' | '));
    check(label, 'no failed requests', seen.badRequests.length === 0, seen.badRequests.join(' | '));

    if (AUDITED.has(lang)) {
      const suffix = lang === 'en' ? '' : `-${lang}`;
      const file = join(outDir, `${slug(url)}${suffix}-${width}-${scheme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`     ${label} screenshot ${file}`);
      await axeAudit(page, label);
    }
  } catch (err) {
    check(label, 'load', false, err.message.split('\n')[0]);
  }
}

// ---- the keyboard walk -------------------------------------------------------------

// Runs in the page: marks every control a keyboard must reach (visible, enabled, not in
// a closed fold) with its number, and returns their descriptions.
function markControls() {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  const out = [];
  let i = 0;
  for (const el of document.querySelectorAll(sel)) {
    if (el.disabled) continue;
    const closed = el.closest('details:not([open])');
    if (closed && !(el.tagName === 'SUMMARY' && el.parentElement === closed)) continue;
    if (el.getClientRects().length === 0) continue;
    el.dataset.kw = String(i++);
    out.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 40)}"`);
  }
  return out;
}

// Runs in the page: the focused control's number and whether its focus can be seen.
function focused() {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  return { kw: el.dataset.kw ?? null, ring, tag: el.tagName.toLowerCase() };
}

async function tabThrough(page, label, controls) {
  const reached = new Set();
  const unseen = [];
  const limit = controls.length + 20;
  for (let n = 0; n < limit && reached.size < controls.length; n++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(focused);
    if (!f || f.kw === null) continue;
    reached.add(f.kw);
    if (!f.ring) unseen.push(controls[Number(f.kw)]);
  }
  const missing = controls.filter((_, i) => !reached.has(String(i)));
  check(label, `Tab reaches all ${controls.length} controls`, missing.length === 0, missing.slice(0, 8).join(', '));
  check(label, 'every focus is visible', unseen.length === 0, [...new Set(unseen)].slice(0, 8).join(', '));
}

// Tabs to the first control matching `selector`; false when Tab never gets there.
async function tabTo(page, selector) {
  await page.evaluate(() => document.activeElement?.blur());
  await page.evaluate(() => window.scrollTo(0, 0));
  for (let n = 0; n < 500; n++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return true;
  }
  return false;
}

async function keyboardWalk(browser, url) {
  const path = new URL(url).pathname;
  const kind = /\/m\/[^/]+\/$/.test(path) ? 'message'
    : /\/t\/[^/]+\/$/.test(path) ? 'thread'
      : /\/\d{4}\/\d{2}\/$/.test(path) ? 'month'
        : /search$/.test(path) ? 'search' : null;
  if (!kind) return;
  const tab = await newPage(browser, 'en', 1440, 'light');
  const { page } = tab;
  const label = `${path}${new URL(url).search} keyboard`;
  try {
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    await tabThrough(page, label, await page.evaluate(markControls));

    if (kind === 'message' || kind === 'thread') {
      // A fold opens and closes with Enter and Space.
      const fold = kind === 'thread' ? 'article.msg > details > summary' : 'details.quote > summary';
      if (await page.$(fold)) {
        const ok = await tabTo(page, fold);
        const before = await page.evaluate(() => document.activeElement.parentElement.open);
        await page.keyboard.press('Enter');
        const afterEnter = await page.evaluate(() => document.activeElement.parentElement.open);
        await page.keyboard.press('Space');
        const afterSpace = await page.evaluate(() => document.activeElement.parentElement.open);
        check(label, 'a fold toggles with Enter and Space', ok && afterEnter !== before && afterSpace === before,
          `reached=${ok} open: ${before} -> ${afterEnter} -> ${afterSpace}`);
      }
      // The thread link (message) or a message's permalink (thread) follows with Enter.
      const link = kind === 'message' ? 'a[data-key="t"]' : 'p.links a';
      const ok = await tabTo(page, link);
      const href = await page.evaluate(() => document.activeElement.href);
      await Promise.all([page.waitForNavigation({ timeout: 10_000 }).catch(() => {}), page.keyboard.press('Enter')]);
      check(label, 'Enter follows a link', ok && page.url().split('#')[0] === href.split('#')[0], `${page.url()} vs ${href}`);
    }
    if (kind === 'month') {
      const ok = await tabTo(page, `a[href$="/date/"]`);
      await Promise.all([page.waitForNavigation({ timeout: 10_000 }).catch(() => {}), page.keyboard.press('Enter')]);
      check(label, 'Enter changes the order', ok && page.url().endsWith('/date/'), page.url());
    }
    if (kind === 'search') {
      // The whole form by keyboard: words, order, one result per thread, submit.
      const ok = await tabTo(page, 'form.searchpage input[name=q]');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('larch');
      await page.keyboard.press('Tab');
      const onOrder = await page.evaluate(() => document.activeElement.name === 'o');
      await page.keyboard.press('n'); // "newest first", by its first letter
      await page.keyboard.press('Tab');
      const onThread = await page.evaluate(() => document.activeElement.name === 't');
      const wasChecked = await page.evaluate(() => document.activeElement.checked);
      await page.keyboard.press('Space');
      await page.keyboard.press('Tab');
      const onButton = await page.evaluate(() => document.activeElement.tagName === 'BUTTON');
      await Promise.all([page.waitForNavigation({ timeout: 10_000 }).catch(() => {}), page.keyboard.press('Enter')]);
      const q = new URL(page.url()).searchParams;
      check(label, 'the search form works by keyboard',
        ok && onOrder && onThread && onButton && q.get('q') === 'larch' && q.get('o') === 'new' && (q.get('t') === '1') !== wasChecked,
        `reached=${ok} order=${onOrder} thread=${onThread} button=${onButton} -> ${page.url()}`);
      // Filters: a facet link follows with Enter.
      if (await page.$('aside.facets a')) {
        const onFacet = await tabTo(page, 'aside.facets a');
        const href = await page.evaluate(() => document.activeElement.href);
        await Promise.all([page.waitForNavigation({ timeout: 10_000 }).catch(() => {}), page.keyboard.press('Enter')]);
        check(label, 'a search filter follows with Enter', onFacet && page.url() === href, page.url());
      }
    }
  } catch (err) {
    check(label, 'keyboard walk', false, err.message.split('\n')[0]);
  } finally {
    await tab.context.close();
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: CHROMIUM_ARGS,
});
try {
  for (const lang of LANGS) {
    for (const width of WIDTHS) {
      for (const scheme of SCHEMES) {
        const tab = await newPage(browser, lang, width, scheme);
        try {
          for (const url of urls) await checkPage(tab, url, lang, width, scheme);
        } finally {
          await tab.context.close();
        }
      }
    }
  }
  for (const url of urls.filter((u) => !u.startsWith('404='))) await keyboardWalk(browser, url);
} finally {
  await browser.close();
}

console.log(`browser checks: ${passed} passed, ${failures.length} failed`);
if (failures.length > 0) {
  console.log('failures:');
  for (const f of failures) console.log(`  ${f}`);
  process.exitCode = 1;
}
