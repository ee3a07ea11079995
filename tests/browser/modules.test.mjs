// The page is plain ES modules served by the daemon: every file under web/ (subfolders too) is
// compiled in and served at /<path> with its type, and the stream worker and the AudioWorklet
// load as real files (/js/stream-worker.js, /js/worklet.js), never as Blob URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDaemonAndBrowser, waitForFirstAudio } from './harness.mjs';

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

let daemon;
let browser;

withDaemonAndBrowser((d, b) => ([daemon, browser] = [d, b]));

test('every file under web/ is served at its path, byte for byte, with its Content-Type', async () => {
  const files = readdirSync(WEB_DIR, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(WEB_DIR, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join('/'));
  assert.ok(files.includes('js/main.js'), `web/js/main.js among ${files}`);
  for (const name of files) {
    const res = await fetch(`${daemon.base}/${name}`);
    assert.equal(res.status, 200, `GET /${name}`);
    const type = TYPES[path.extname(name)];
    if (type) assert.equal(res.headers.get('content-type'), type, `Content-Type of /${name}`);
    const body = Buffer.from(await res.arrayBuffer());
    assert.ok(body.equals(readFileSync(path.join(WEB_DIR, name))), `/${name} is web/${name} as built`);
  }
  const missing = await fetch(`${daemon.base}/js/no-such-module.js`);
  assert.equal(missing.status, 404);
});

test('the page plays with its worker and worklet loaded from the daemon, not from Blob URLs', async () => {
  const { page } = browser;
  const requested = [];
  const workers = [];
  page.on('request', (r) => requested.push(r.url()));
  page.on('worker', (w) => workers.push(w.url()));
  // The worklet's fetch is not a page request: record what addModule is given, and any Blob URL.
  await page.addInitScript(() => {
    window.loadedWorklets = [];
    window.blobUrls = [];
    const addModule = AudioWorklet.prototype.addModule;
    AudioWorklet.prototype.addModule = function (url, ...rest) {
      window.loadedWorklets.push(String(url));
      return addModule.call(this, url, ...rest);
    };
    const createObjectURL = URL.createObjectURL;
    URL.createObjectURL = (obj) => {
      const url = createObjectURL(obj);
      window.blobUrls.push(url);
      return url;
    };
  });

  await page.goto(`${daemon.base}/#session=default`);
  await page.waitForFunction(() => document.getElementById('session').value === 'default');
  await page.click('#play');
  const started = await waitForFirstAudio(page);
  assert.equal(started.mode, 'webcodecs');
  await page.click('#stop');

  const paths = requested.map((u) => (u.startsWith(daemon.base) ? new URL(u).pathname : u));
  const worklets = await page.evaluate(() => window.loadedWorklets);
  const blobUrls = await page.evaluate(() => window.blobUrls);
  console.log(`browser.modules: ${JSON.stringify({ workers, worklets, requested: paths, startup_ms: started.startup })}`);
  assert.deepEqual(workers, [`${daemon.base}/js/stream-worker.js`], 'one stream worker, from its own file');
  assert.deepEqual(worklets, [`${daemon.base}/js/worklet.js`], 'the AudioWorklet module, from its own file');
  assert.ok(paths.includes('/js/main.js'), 'the entry module');
  assert.deepEqual(blobUrls, [], 'no Blob URLs');
  assert.ok(!paths.some((u) => u.startsWith('blob:')), `no Blob URL requests: ${paths}`);
  const pageErrors = browser.errors.filter((e) => e.startsWith('pageerror'));
  assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
});
