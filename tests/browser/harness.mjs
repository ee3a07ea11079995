// Shared by the browser tests: starts the real daemon on 127.0.0.1 (ephemeral port), launches
// Debian's Chromium through playwright-core, reads the page's test hooks.
import { after, before } from 'node:test';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// playwright-core comes from `npm ci` in AURALIS_BROWSER_DEPS (the build tree, so parallel
// build trees never share a node_modules) or, by hand, in this directory.
const here = path.dirname(fileURLToPath(import.meta.url));
const depsDir = process.env.AURALIS_BROWSER_DEPS || here;
const require = createRequire(path.join(depsDir, 'package.json'));
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.AURALIS_CHROMIUM || '/usr/bin/chromium';

// CLIENTS.md: the flags that work on a headless Debian machine with no GPU and no sound card.
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `$AURALIS_BIN --listen 127.0.0.1:0` and waits until it reports its port and is healthy. */
export async function startDaemon({ args = [], timeoutMs = 90_000 } = {}) {
  const bin = process.env.AURALIS_BIN;
  if (!bin) throw new Error('set AURALIS_BIN to the auralis executable');
  const env = { ...process.env };
  delete env.AURALIS_BIN; // the daemon warns about unknown AURALIS_* variables
  delete env.AURALIS_BROWSER_DEPS;
  delete env.AURALIS_CHROMIUM;
  const proc = spawn(bin, ['--listen', '127.0.0.1:0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let port = null;
  let exited = null;
  const onPort = new Promise((resolve, reject) => {
    const take = (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        lines.push(line);
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (m && port === null) {
          port = Number(m[1]);
          resolve(port);
        }
      }
    };
    proc.stdout.on('data', take);
    proc.stderr.on('data', take);
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      if (port === null) reject(new Error(`auralis exited early (${code ?? signal}):\n${lines.join('\n')}`));
    });
    proc.on('error', reject);
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`auralis did not report its port in ${timeoutMs} ms:\n${lines.join('\n')}`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([onPort, timeout]);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch {
      // not accepting yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`auralis never became healthy:\n${lines.join('\n')}`);
    }
    await sleep(100);
  }

  return {
    base,
    port,
    logs: () => lines.join('\n'),
    /** SIGTERM, then SIGKILL after timeoutMs; resolves to {code, signal, seconds}. */
    async stop(timeoutMs = 10_000) {
      const t0 = Date.now();
      if (exited) return { ...exited, seconds: 0 };
      const done = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
      proc.kill('SIGTERM');
      let timer;
      const result = await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs, null)))]);
      clearTimeout(timer);
      if (result) return { ...result, seconds: (Date.now() - t0) / 1000 };
      proc.kill('SIGKILL');
      return { ...(await done), seconds: (Date.now() - t0) / 1000, killed: true };
    },
  };
}

/** JSON request to the daemon's REST API; returns {status, body}. */
export async function api(base, method, urlPath, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(base + urlPath, init);
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

/** Launches Chromium with a fresh profile; the page's console errors go to the test log. */
export async function launchBrowser({ extraArgs = [], contextOptions = {} } = {}) {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'auralis-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs],
    viewport: { width: 1100, height: 900 },
    ...contextOptions,
  });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') errors.push(`console.${msg.type()}: ${msg.text()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A snapshot of window.auralisPlayer (the page's read-only test hooks). */
/** A test file's `after`: closes the browser (printing what its pages logged) and stops the
 *  daemon (printing how it ended); either may be missing when `before` failed part way. */
export async function stopBrowserAndDaemon(browser, daemon) {
  if (browser) {
    if (browser.errors.length) console.log(`page messages:\n  ${browser.errors.join('\n  ')}`);
    await browser.close();
  }
  if (daemon) console.log(`daemon stopped: ${JSON.stringify(await daemon.stop())}`);
}

/** A test file's usual set-up: a `before` hook starts the daemon and Chromium and hands them to
 *  `use(daemon, browser)` (awaited: a file's own set-up goes there, since top-level `before`
 *  hooks do not wait for each other), an `after` hook stops them. */
export function withDaemonAndBrowser(use) {
  let daemon;
  let browser;
  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    await use(daemon, browser);
  });
  after(() => stopBrowserAndDaemon(browser, daemon));
}

export function hooks(page) {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.auralisPlayer)));
}

/** Polls fn() until it returns a truthy value; throws `what` (and the last value) on timeout. */
export async function waitFor(fn, { timeoutMs = 30_000, intervalMs = 250, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Waits until the player's prebuffer is full (first audio); a player error fails at once. */
export function waitForFirstAudio(page, { timeoutMs = 30_000 } = {}) {
  return waitFor(
    async () => {
      const h = await hooks(page);
      if (h.state === 'error') throw new Error(`player error: ${h.lastError}`);
      return h.prebuffered ? h : null;
    },
    { timeoutMs, what: 'the prebuffer to fill (first audio)' },
  );
}

/** Creates a session through the page: New session, optional tempo, name, Create. Returns its id. */
export async function createSessionInPage(page, { name, tempoMax = false } = {}) {
  await page.click('#new-session');
  if (tempoMax) {
    // A keyboard user's way to the slider's end: End sets 120 BPM and fires input/change.
    await page.focus('#tempo_bpm');
    await page.keyboard.press('End');
  }
  if (name) await page.fill('#new-name', name);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/sessions') && r.request().method() === 'POST'),
    page.click('#create-button'),
  ]);
  if (response.status() !== 201) throw new Error(`POST /api/v1/sessions -> ${response.status()}: ${await response.text()}`);
  const created = await response.json();
  await waitFor(async () => (await page.inputValue('#session')) === created.id, {
    timeoutMs: 10_000,
    what: `the new session ${created.id} to be selected`,
  });
  return created;
}
