// Real-browser tests for the newsarchive web pages.
//
// Runs with Node's built-in test runner (Node 20+):
//
//   tests/browser/run.sh                      # installs what is missing, then runs
//   node --test --test-reporter=spec tests/browser/
//
// The server binary is taken from $NEWSARCHIVE_BIN (default:
// <repo>/target/debug/newsarchive); nothing here builds it. Each run imports
// <repo>/samples into a fresh temporary data directory, starts
// `newsarchive serve --listen 127.0.0.1:0` and drives the system Chromium
// (/usr/bin/chromium) through playwright-core. Screenshots go to
// tests/browser/artifacts/.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const BIN = process.env.NEWSARCHIVE_BIN || path.join(REPO, 'target', 'debug', 'newsarchive');
const SAMPLES = path.join(REPO, 'samples');
// A story told by two outlets, and a source that repeats a footer.
const STORIES = path.join(REPO, 'tests', 'fixtures', 'stories.ndjson');
// The same outlet's later edit of one of those stories: its revision 2.
const EDITED = path.join(REPO, 'tests', 'fixtures', 'stories_edited.ndjson');
const ARTIFACTS = path.join(HERE, 'artifacts');
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

const SERVER_START_TIMEOUT_MS = 60_000;
const IMPORT_TIMEOUT_MS = 120_000;
const TEST_TIMEOUT_MS = 120_000;
const ACTION_TIMEOUT_MS = 15_000;
const NAVIGATION_TIMEOUT_MS = 30_000;

const CHILD_ENV = { ...process.env, NO_COLOR: '1', RUST_LOG: 'info' };

// Matches CSI escape sequences (colours, cursor moves) in log lines.
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const stripAnsi = (s) => s.replace(ANSI_RE, '');

const ARTICLE_PATH_RE = /^\/articles\/\d+\/[a-z0-9-]+$/;

// ---------------------------------------------------------------- state

let dataDir;
let server; // ChildProcess
let serverExit; // Promise resolved with { code, signal } when the server exits
const serverLog = []; // every stderr/stdout line of the server, ANSI stripped
let baseURL;
let browser;
let anyFailure = false;
let firstArticlePromise;

// ---------------------------------------------------------------- helpers

function runImport() {
  return new Promise((resolve, reject) => {
    execFile(
      BIN,
      ['--data', dataDir, 'import', SAMPLES, STORIES, EDITED],
      { env: CHILD_ENV, timeout: IMPORT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new Error(
              `\`${BIN} --data ${dataDir} import ${SAMPLES}\` failed ` +
                `(exit code ${err.code ?? '?'}, signal ${err.signal ?? 'none'}):\n` +
                `--- stdout ---\n${stdout}\n--- stderr ---\n${stripAnsi(String(stderr))}`,
            ),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/** Spawns the server and resolves with its base URL once it logs the listening line. */
function startServer() {
  server = spawn(BIN, ['--data', dataDir, 'serve', '--listen', '127.0.0.1:0'], {
    env: CHILD_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serverExit = new Promise((resolve) => {
    server.once('exit', (code, signal) => resolve({ code, signal }));
  });

  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn(value);
    };
    const tail = () => serverLog.slice(-30).join('\n');
    const timer = setTimeout(() => {
      settle(
        reject,
        new Error(
          `server did not log "listening on http://127.0.0.1:PORT" within ` +
            `${SERVER_START_TIMEOUT_MS / 1000} s; its output so far:\n${tail()}`,
        ),
      );
    }, SERVER_START_TIMEOUT_MS);

    // Keep reading both pipes for the whole run, so that the server never
    // blocks on a full pipe while logging.
    const onLine = (line) => {
      const clean = stripAnsi(line);
      serverLog.push(clean);
      const m = clean.match(/listening on (http:\/\/127\.0\.0\.1:(\d+))/);
      if (m) settle(resolve, m[1]);
    };
    readline.createInterface({ input: server.stderr }).on('line', onLine);
    readline.createInterface({ input: server.stdout }).on('line', onLine);

    server.once('error', (err) => settle(reject, new Error(`could not start ${BIN}: ${err.message}`)));
    server.once('exit', (code, signal) =>
      settle(
        reject,
        new Error(
          `server exited before listening (code ${code}, signal ${signal}); its output:\n${tail()}`,
        ),
      ),
    );
  });
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  server.kill('SIGTERM');
  let timer;
  const forced = new Promise((resolve) => {
    timer = setTimeout(() => {
      server.kill('SIGKILL');
      resolve();
    }, 10_000);
  });
  await Promise.race([serverExit, forced]);
  clearTimeout(timer);
  await serverExit;
}

/** A fresh browser context with the default timeouts set. */
async function newContext(options = {}) {
  const context = await browser.newContext({ baseURL, ...options });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  return context;
}

/**
 * Opens a page that records console errors, uncaught page errors and the
 * response of every main-frame navigation.
 */
async function openPage(context) {
  const page = await context.newPage();
  const problems = [];
  const nav = { last: null };
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location();
    // Chromium fetches /favicon.ico on its own, at a moment that varies from
    // run to run; its 404 is not an error of the page under test.
    if (loc && loc.url && new URL(loc.url).pathname === '/favicon.ico') return;
    const where = loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : '';
    problems.push(`console error on ${page.url()}: ${msg.text()}${where}`);
  });
  page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
  page.on('response', (response) => {
    const request = response.request();
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) nav.last = response;
  });
  return { page, problems, nav };
}

/** Runs `body` with a new context and page; closes the context; asserts no console/page errors. */
async function withPage(contextOptions, body) {
  const context = await newContext(contextOptions);
  try {
    const handle = await openPage(context);
    await body(handle);
    assert.deepEqual(handle.problems, [], 'console errors or page errors were reported');
  } finally {
    await context.close();
  }
}

/** Navigates to `path` (relative to the server) and asserts status 200. */
async function go(page, urlPath) {
  const response = await page.goto(urlPath, { waitUntil: 'load' });
  assert.ok(response, `no response for ${urlPath}`);
  assert.equal(response.status(), 200, `GET ${urlPath} answered ${response.status()}`);
  return response;
}

/** Clicks `locator`, waits until the page is loaded at a URL whose path matches `pathRe`; asserts status 200. */
async function clickTo(handle, locator, pathRe) {
  const { page, nav } = handle;
  const from = page.url();
  await locator.click();
  await page.waitForURL((url) => url.href !== from && pathRe.test(url.pathname), { waitUntil: 'load' });
  await page.waitForLoadState('load');
  const response = nav.last;
  assert.ok(response, `no navigation response after clicking on ${from}`);
  assert.equal(
    response.status(),
    200,
    `navigation to ${new URL(page.url()).pathname} answered ${response.status()}`,
  );
  return new URL(page.url());
}

async function assertOneH1(page) {
  const n = await page.locator('h1').count();
  assert.equal(n, 1, `${new URL(page.url()).pathname} has ${n} h1 elements, expected exactly 1`);
}

/** The `href` attributes of all links inside `main`, in document order. */
async function mainHrefs(page) {
  return page.locator('main a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
}

/** The first link inside `main` whose href matches `re`, or null. */
async function firstMainLink(page, re) {
  const href = (await mainHrefs(page)).find((h) => re.test(h));
  if (href === undefined) return null;
  return { href, locator: page.locator(`main a[href="${href.replace(/["\\]/g, '\\$&')}"]`).first() };
}

/** Path of the first article listed on the home page (computed once). */
function firstArticlePath() {
  firstArticlePromise ??= (async () => {
    const context = await newContext();
    try {
      const page = await context.newPage();
      await go(page, '/');
      const href = await page.locator('ol.article-list h2 a').first().getAttribute('href');
      assert.ok(href, 'the home page lists no article (ol.article-list h2 a)');
      const p = new URL(href, baseURL).pathname;
      assert.match(p, ARTICLE_PATH_RE, `first article link ${href} is not /articles/ID/SLUG`);
      return p;
    } finally {
      await context.close();
    }
  })();
  return firstArticlePromise;
}

/** Prints every axe violation; fails on serious/critical ones and on pages that could not be checked. */
function reportAxe(found, errors) {
  const fmt = (v) =>
    `${v.page}: [${v.impact}] ${v.id}: ${v.help} — ${v.nodes} node(s), first: ${v.target}\n` +
    `    ${v.html}\n    ${String(v.summary).replace(/\n/g, '\n    ')}`;
  const minor = found.filter((v) => v.impact !== 'serious' && v.impact !== 'critical');
  if (minor.length) {
    console.log(`axe: ${minor.length} minor/moderate violation(s), not failing:\n${minor.map(fmt).join('\n')}`);
  }
  const bad = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.equal(bad.length, 0, `axe found serious/critical violations:\n${bad.map(fmt).join('\n')}`);
  assert.deepEqual(errors, [], `pages that could not be checked:\n${errors.join('\n')}`);
}

/** `it` that remembers failures, so that `after` can print the server log. */
function test(name, fn) {
  it(name, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    try {
      await fn(t);
    } catch (err) {
      anyFailure = true;
      throw err;
    }
  });
}

/** The `path` of the first result of an API search. */
async function apiPath(apiUrl) {
  const response = await fetch(new URL(apiUrl, baseURL));
  assert.equal(response.status, 200, `${apiUrl} answered ${response.status}`);
  const found = await response.json();
  assert.ok(found.results.length > 0, `${apiUrl} found nothing`);
  return found.results[0].path;
}

// Loads each page with axe-core injected and fails on serious or critical violations.
async function assertNoAxeViolations(pages) {
  const found = [];
  const errors = [];
  // bypassCSP lets addScriptTag inject axe past the site's strict CSP.
  await withPage({ bypassCSP: true }, async ({ page }) => {
    for (const p of pages) {
      const response = await page.goto(p, { waitUntil: 'load' });
      if (!response || response.status() !== 200) {
        errors.push(`${p}: answered ${response ? response.status() : 'nothing'}`);
        continue;
      }
      await page.addScriptTag({ path: AXE_PATH });
      const violations = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const results = await axe.run(document);
        return results.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          helpUrl: v.helpUrl,
          nodes: v.nodes.length,
          target: v.nodes[0] ? v.nodes[0].target.join(' ') : '',
          html: v.nodes[0] ? v.nodes[0].html : '',
          summary: v.nodes[0] ? v.nodes[0].failureSummary : '',
        }));
      });
      for (const v of violations) found.push({ page: p, ...v });
    }
    reportAxe(found, errors);
  });
}

// ---------------------------------------------------------------- tests

describe('newsarchive in a real browser', () => {
  before(
    async () => {
      try {
        fs.accessSync(BIN, fs.constants.X_OK);
      } catch {
        throw new Error(
          `newsarchive binary not found or not executable at ${BIN}; ` +
            `build it first (cargo build) or set NEWSARCHIVE_BIN`,
        );
      }
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'newsarchive-browser-'));
      await runImport();
      baseURL = await startServer();
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    },
    { timeout: SERVER_START_TIMEOUT_MS + IMPORT_TIMEOUT_MS + 60_000 },
  );

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer();
    if (anyFailure && serverLog.length) {
      console.log(`--- last lines of the server log ---\n${serverLog.slice(-20).join('\n')}`);
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a. home page structure, then the first article', () =>
    withPage({}, async (handle) => {
      const { page } = handle;
      await go(page, '/');
      await assertOneH1(page);

      assert.equal(await page.locator('main, [role="main"]').count(), 1, 'expected one main landmark');

      const skip = page.locator('a.skip-link');
      assert.equal(await skip.count(), 1, 'expected one a.skip-link');
      assert.equal(await skip.getAttribute('href'), '#main', 'skip link must point at #main');
      assert.equal(await page.locator('#main').count(), 1, 'the skip link target #main does not exist');

      const input = page.locator('input[name="q"]');
      assert.equal(await input.count(), 1, 'expected one input[name=q]');
      const id = await input.getAttribute('id');
      assert.ok(id, 'the search input has no id, so no <label for=...> can name it');
      const label = page.locator(`label[for="${id}"]`);
      assert.equal(await label.count(), 1, `no <label for="${id}">`);
      assert.ok((await label.textContent()).trim().length > 0, 'the search label is empty');

      const first = page.locator('ol.article-list h2 a').first();
      assert.ok(await first.count(), 'the home page lists no article (ol.article-list h2 a)');
      const url = await clickTo(handle, first, ARTICLE_PATH_RE);
      assert.match(url.pathname, ARTICLE_PATH_RE);
      await assertOneH1(page);

      const ids = await page.locator('p[id^="p"]').evaluateAll((ps) =>
        ps.map((p) => p.id).filter((i) => /^p\d+$/.test(i)),
      );
      assert.ok(ids.length >= 1, 'the article has no paragraph with id p1');
      assert.deepEqual(
        ids,
        ids.map((_, i) => `p${i + 1}`),
        'paragraph ids must run p1, p2, ... in order',
      );
    }));

  test('b. search box finds Kugelman and highlights it', () =>
    withPage({}, async (handle) => {
      const { page } = handle;
      await go(page, '/');
      await page.locator('input[name="q"]').fill('Kugelman');
      await page.locator('input[name="q"]').press('Enter');
      await page.waitForURL((url) => url.pathname === '/search', { waitUntil: 'load' });
      const url = new URL(page.url());
      assert.equal(url.pathname + url.search, '/search?q=Kugelman');
      assert.equal(handle.nav.last?.status(), 200, 'the search page did not answer 200');
      await assertOneH1(page);

      const results = await page.locator('ol.article-list li').count();
      assert.ok(results >= 1, 'no search result (ol.article-list li)');
      const marks = await page.locator('mark').allTextContents();
      assert.ok(
        marks.some((m) => m.includes('Kugelman')),
        `no <mark> contains "Kugelman" (marks: ${JSON.stringify(marks)})`,
      );
    }));

  test('c. date archive: year, month, day, article', () =>
    withPage({}, async (handle) => {
      const { page } = handle;
      await go(page, '/archive');
      await assertOneH1(page);

      const year = await firstMainLink(page, /^\/archive\/\d{4}$/);
      assert.ok(year, `/archive has no year link in main (links: ${JSON.stringify(await mainHrefs(page))})`);
      await clickTo(handle, year.locator, /^\/archive\/\d{4}$/);
      await assertOneH1(page);

      const month = await firstMainLink(page, /^\/archive\/\d{4}\/\d{2}$/);
      assert.ok(
        month,
        `${year.href} has no month link in main (links: ${JSON.stringify(await mainHrefs(page))})`,
      );
      await clickTo(handle, month.locator, /^\/archive\/\d{4}\/\d{2}$/);
      await assertOneH1(page);

      const day = await firstMainLink(page, /^\/archive\/\d{4}\/\d{2}\/\d{2}$/);
      if (day) {
        await clickTo(handle, day.locator, /^\/archive\/\d{4}\/\d{2}\/\d{2}$/);
        await assertOneH1(page);
      }

      const here = new URL(page.url()).pathname;
      const article = await firstMainLink(page, /^\/articles\//);
      assert.ok(article, `${here} has no article link in main (links: ${JSON.stringify(await mainHrefs(page))})`);
      await clickTo(handle, article.locator, /^\/articles\//);
      await assertOneH1(page);
    }));

  test('d. phone layout (360x740) has no horizontal scroll', async () => {
    const articlePath = await firstArticlePath();
    const failures = [];
    await withPage({ viewport: { width: 360, height: 740 } }, async ({ page }) => {
      const edited = (await (await fetch(new URL('/api/v1/articles?source=Dawn&limit=100', baseURL))).json())
        .articles.find((x) => x.revision === 2);
      for (const p of ['/', articlePath, '/search?q=restoring', '/archive', '/api', `${edited.path}/history?from=1&to=2`]) {
        const response = await page.goto(p, { waitUntil: 'load' });
        if (!response || response.status() !== 200) {
          failures.push(`${p}: answered ${response ? response.status() : 'nothing'}`);
          continue;
        }
        const m = await page.evaluate(() => {
          const vw = window.innerWidth;
          const sw = document.documentElement.scrollWidth;
          const offenders = [];
          if (sw > vw) {
            for (const el of document.querySelectorAll('body *')) {
              const r = el.getBoundingClientRect();
              if (r.width > 0 && r.right > vw + 0.5) {
                const cls = el.classList.length ? `.${[...el.classList].join('.')}` : '';
                const id = el.id ? `#${el.id}` : '';
                offenders.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(r.right)}px)`);
              }
            }
          }
          return { vw, sw, offenders: offenders.slice(0, 8) };
        });
        if (m.sw > m.vw) {
          failures.push(
            `${p}: scrollWidth ${m.sw} > innerWidth ${m.vw}; wider than the screen: ${m.offenders.join(', ')}`,
          );
        }
      }
      // Checked before withPage checks for console errors, which a missing
      // page would also cause.
      assert.deepEqual(failures, [], `phone layout (360px wide) problems:\n${failures.join('\n')}`);
    });
  });

  test('e. screenshots of the first article (phone and desktop)', async () => {
    const articlePath = await firstArticlePath();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shots = [
      { file: 'article-phone.png', viewport: { width: 390, height: 844 } },
      { file: 'article-desktop.png', viewport: { width: 1280, height: 900 } },
    ];
    for (const { file, viewport } of shots) {
      const out = path.join(ARTIFACTS, file);
      fs.rmSync(out, { force: true });
      await withPage({ viewport }, async ({ page }) => {
        await go(page, articlePath);
        await page.screenshot({ path: out, fullPage: true });
      });
      assert.ok(fs.existsSync(out), `${out} was not written`);
      const size = fs.statSync(out).size;
      assert.ok(size > 10 * 1024, `${out} is only ${size} bytes (expected > 10 KB)`);
    }
  });

  test('f. no serious or critical axe-core violations', async () => {
    const articlePath = await firstArticlePath();
    const wire = await apiPath('/api/v1/search?q=Blinken%20Bhutto-Zardari%20resume');
    const ledger = await apiPath('/api/v1/search?q=harbour%20budget%20approved');
    const pages = ['/', articlePath, '/archive', '/archive/2024', '/archive/2024/03', '/archive/2024/03/14', '/sources', '/search?q=food', '/search/help', '/api',
      wire, ledger, `${ledger}?text=captured`, '/search?q=Blinken+Bhutto-Zardari'];
    await assertNoAxeViolations(pages);
  });

  test('g. one story from two outlets, and a footer left out, without JavaScript', () =>
    withPage({ javaScriptEnabled: false }, async (handle) => {
      const { page } = handle;
      await go(page, '/search?q=Blinken+Bhutto-Zardari');
      const versions = page.getByRole('link', { name: 'Show all 2 versions of this story' });
      assert.equal(await versions.count(), 1, 'the wire story should appear once, with its versions link');
      await versions.click();
      await page.waitForURL((url) => url.pathname.startsWith('/articles/'), { waitUntil: 'load' });
      const aside = page.getByRole('complementary', { name: 'Also published by 1 other outlet' });
      assert.equal(await aside.count(), 1, 'the article page names the other outlet');
      assert.equal(await aside.getByRole('link').count(), 1);

      await go(page, await apiPath('/api/v1/search?q=harbour%20budget%20approved'));
      const body = await page.locator('main').innerText();
      assert.match(body, /1 paragraph that Ledger repeats on every page is hidden as boilerplate/);
      assert.doesNotMatch(body, /morning briefing/);
      await page.getByRole('link', { name: 'Show the 1 paragraph hidden as boilerplate' }).click();
      await page.waitForURL((url) => url.search === '?text=captured', { waitUntil: 'load' });
      assert.match(await page.locator('main').innerText(), /morning briefing/);
    }));

  test('i. an edited story: its history and what changed, without JavaScript, and axe', async () => {
    const listed = await (await fetch(new URL('/api/v1/articles?source=Dawn&limit=100', baseURL))).json();
    const edited = listed.articles.find((a) => a.revision === 2);
    assert.ok(edited, 'the edited Dawn story is at revision 2');
    await withPage({ javaScriptEnabled: false }, async (handle) => {
      const { page } = handle;
      await go(page, edited.path);
      assert.match(await page.locator('main').innerText(), /Updated 1 time, last/);
      await page.getByRole('link', { name: 'see what changed' }).click();
      await page.waitForURL((url) => url.pathname === `${edited.path}/history`, { waitUntil: 'load' });
      await assertOneH1(page);
      assert.match(await page.locator('main').innerText(), /Revision 2, .*Changed: headline, paragraphs/);
      await page.getByLabel('Compare revision').selectOption('1');
      await page.getByLabel('with revision').selectOption('2');
      await page.getByRole('button', { name: 'Compare' }).click();
      await page.waitForURL((url) => url.search === '?from=1&to=2', { waitUntil: 'load' });
      assert.equal(handle.nav.last?.status(), 200);
      const removed = await page.locator('.difference del').allInnerTexts();
      const added = await page.locator('.difference ins').allInnerTexts();
      assert.ok(removed.some((t) => t.includes('this')), `removed: ${removed}`);
      assert.ok(added.some((t) => t.includes('next')), `added: ${added}`);
      assert.ok(added.some((t) => t.includes('New York')), `added: ${added}`);
      // Read without colour or sight: the change is said in words too.
      assert.match(await page.locator('.difference').innerText(), /\[added:\s*next/);
    });
    await assertNoAxeViolations([`${edited.path}/history`, `${edited.path}/history?from=1&to=2`]);
  });

  test('h. home and search work without JavaScript', () =>
    withPage({ javaScriptEnabled: false }, async (handle) => {
      const { page } = handle;
      await go(page, '/');
      await assertOneH1(page);
      await page.locator('input[name="q"]').fill('Kugelman');
      await page.locator('input[name="q"]').press('Enter');
      await page.waitForURL((url) => url.pathname === '/search', { waitUntil: 'load' });
      const url = new URL(page.url());
      assert.equal(url.pathname + url.search, '/search?q=Kugelman');
      assert.equal(handle.nav.last?.status(), 200, 'the search page did not answer 200');
      const results = await page.locator('ol.article-list li').count();
      assert.ok(results >= 1, 'no search result (ol.article-list li) without JavaScript');
    }));

  test('j. compare searches over time, and download every match, without JavaScript; axe', async () => {
    await withPage({ javaScriptEnabled: false }, async (handle) => {
      const { page } = handle;
      await go(page, '/search?q=harbour');
      const downloads = page.locator('p.downloads');
      assert.match(await downloads.innerText(), /Download all \d+ as CSV \/ NDJSON/);
      const csvHref = await downloads.getByRole('link', { name: 'CSV' }).getAttribute('href');
      const csv = await fetch(new URL(csvHref, baseURL));
      assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
      const rows = (await csv.text()).trim().split('\r\n');
      assert.equal(rows.length - 1, Number(csv.headers.get('x-total-count')));
      assert.ok(rows.length >= 2, 'the download has a header and rows');

      await downloads.getByRole('link', { name: 'Compare with another search' }).click();
      await page.waitForURL((url) => url.pathname === '/compare', { waitUntil: 'load' });
      assert.equal(handle.nav.last?.status(), 200);
      await page.getByLabel('Search 2').fill('library');
      await page.getByRole('button', { name: 'Compare' }).click();
      await page.waitForURL((url) => url.pathname === '/compare' && url.search.includes('library'), { waitUntil: 'load' });
      await assertOneH1(page);
      // Two lines told apart without colour: each its own dash pattern and marker, and a number.
      const chart = page.getByRole('img', { name: /Matching articles per/ });
      assert.equal(await chart.count(), 1, 'the chart is one image named by its caption');
      const dashes = await page.locator('svg.compare-chart polyline').evaluateAll((lines) =>
        lines.map((l) => l.getAttribute('stroke-dasharray')));
      assert.equal(dashes.length, 2);
      assert.notEqual(dashes[0], dashes[1]);
      assert.deepEqual(await page.locator('svg.compare-chart text.line-label').allTextContents(), ['1', '2']);
      assert.equal(await page.locator('ol.compare-key li').count(), 2);
      // The table, for screen readers and for reading the numbers.
      await page.locator('figure.compare details summary').click();
      const header = await page.locator('figure.compare table thead th').allInnerTexts();
      assert.ok(header.some((h) => h.includes('harbour')) && header.some((h) => h.includes('library')), header.join(' | '));
      assert.ok(await page.locator('figure.compare table tbody tr').count() >= 1);
      // A screenshot for the record (the lines' patterns are checked above).
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'compare.png'), fullPage: true });
      const csvLink = await page.getByRole('link', { name: 'CSV' }).getAttribute('href');
      const table = await fetch(new URL(csvLink, baseURL));
      assert.match(await table.text(), /^period,harbour \(articles\),harbour \(share\),library \(articles\),library \(share\),all articles/);
    });
    await assertNoAxeViolations(['/compare', '/compare?q=harbour&q=library', '/compare?q=harbour&q=library&measure=share',
      '/compare?q=harbour', '/search?q=harbour']);
  });
});
