// Loads pages in a real Chromium and checks what a reader would notice.
//
//   node pages.mjs OUTDIR URL...
//
// Every URL is loaded at two widths (phone, desktop) in light and dark colour schemes.
// Each load checks: the HTTP status is below 400, the page does not scroll sideways, the
// console has no errors, and no request failed. A full-page screenshot of each load goes
// to OUTDIR. One line is printed per check; the exit code is 1 if any check failed.
//
// It uses Debian's chromium (/usr/bin/chromium, or $CHROMIUM) and never downloads a browser.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const WIDTHS = [360, 1440];
const SCHEMES = ['light', 'dark'];
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

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

// Runs in the page: the width it scrolls to, and the element sticking out furthest to the
// right (the deepest one, when a parent sticks out only because of its child; elements
// inside a box that scrolls or clips on its own do not widen the page and are skipped).
function measureOverflow() {
  const limit = window.innerWidth;
  let worst = null;
  let worstRight = limit;
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (clipped(el)) continue;
    const right = el.getBoundingClientRect().right + window.scrollX;
    if (right >= worstRight && right > limit) {
      worst = el;
      worstRight = right;
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
    path = `${parts.join(' > ')} (right edge at ${Math.round(worstRight)}px` +
      `${text ? `, text "${text}"` : ''})`;
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    innerWidth: limit,
    path,
  };
}

async function checkPage(browser, url, width, scheme) {
  const label = `${new URL(url).pathname} @${width} ${scheme}`;
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme: scheme });

  const consoleErrors = [];
  const badRequests = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url;
    consoleErrors.push(where ? `${msg.text()} [${where}]` : msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => {
    badRequests.push(`${req.url()} (${req.failure()?.errorText ?? 'failed'})`);
  });
  page.on('response', (res) => {
    const req = res.request();
    const isPage = req.isNavigationRequest() && req.frame() === page.mainFrame();
    if (!isPage && res.status() >= 400) badRequests.push(`${res.url()} (HTTP ${res.status()})`);
  });

  try {
    const response = await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => {});
    const status = response ? response.status() : 0;
    check(label, 'status', status > 0 && status < 400, `HTTP ${status}`);

    const o = await page.evaluate(measureOverflow);
    const fits = o.scrollWidth <= o.innerWidth && o.scrollWidth <= o.clientWidth;
    check(label, 'no horizontal scroll', fits,
      fits
        ? `${o.scrollWidth} <= ${o.clientWidth}`
        : `page is ${o.scrollWidth}px wide in a ${o.innerWidth}px window; widest: ${o.path ?? '(none found)'}`);

    check(label, 'no console errors', consoleErrors.length === 0, consoleErrors.join(' | '));
    check(label, 'no failed requests', badRequests.length === 0, badRequests.join(' | '));

    const file = join(outDir, `${slug(url)}-${width}-${scheme}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`     ${label} screenshot ${file}`);
  } catch (err) {
    check(label, 'load', false, err.message.split('\n')[0]);
  } finally {
    await context.close();
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: CHROMIUM_ARGS,
});
try {
  for (const url of urls) {
    for (const width of WIDTHS) {
      for (const scheme of SCHEMES) {
        await checkPage(browser, url, width, scheme);
      }
    }
  }
} finally {
  await browser.close();
}

console.log(`browser checks: ${passed} passed, ${failures.length} failed`);
if (failures.length > 0) {
  console.log('failures:');
  for (const f of failures) console.log(`  ${f}`);
  process.exitCode = 1;
}
