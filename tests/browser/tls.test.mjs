// Why server.tls_cert exists: a browser on another machine only gets WebCodecs in a secure
// context. Chromium reaches the daemon by a LAN-style host name (auralis.test, mapped to
// 127.0.0.1): over plain HTTP the page is not a secure context; over HTTPS it is, and it plays
// over WSS with WebCodecs, audibly and without underruns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDaemon, launchBrowser, stopBrowserAndDaemon, hooks, waitFor, waitForFirstAudio, sleep } from './harness.mjs';

const HOST = 'auralis.test';
const PLAY_SECONDS = 6;
const MIN_RMS = 0.003;

let daemon;
let browser;
let certDir;

before(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), 'auralis-tls-'));
  const cert = path.join(certDir, 'cert.pem');
  const key = path.join(certDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '2', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`, '-keyout', key, '-out', cert],
  { stdio: 'ignore' });
  daemon = await startDaemon({ args: ['--set', `server.tls_cert=${cert}`, '--set', `server.tls_key=${key}`] });
  browser = await launchBrowser({
    extraArgs: [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
    contextOptions: { ignoreHTTPSErrors: true }, // a self-signed certificate, made above
  });
});

after(async () => {
  await stopBrowserAndDaemon(browser, daemon);
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

test('over plain HTTP a LAN host name is no secure context; over HTTPS the page plays with WebCodecs over WSS', async (t) => {
  const { page } = browser;
  await page.goto(`http://${HOST}:${daemon.port}/`);
  assert.equal(await page.evaluate(() => window.isSecureContext), false, 'plain HTTP to a LAN name');
  assert.equal(await page.evaluate(() => typeof window.AudioDecoder), 'undefined', 'WebCodecs needs a secure context');

  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await page.goto(`https://${HOST}:${daemon.port}/#session=default`);
  assert.equal(await page.evaluate(() => window.isSecureContext), true, 'HTTPS is a secure context');
  await waitFor(async () => (await page.inputValue('#session')) === 'default', { what: 'the default session selected' });
  await page.click('#play');
  const started = await waitForFirstAudio(page);
  assert.equal(started.mode, 'webcodecs');
  const framesAtStart = started.decodedFrames;
  const t0 = Date.now();
  const rms = [];
  while (Date.now() - t0 < PLAY_SECONDS * 1000) {
    await sleep(1000);
    rms.push((await hooks(page)).rms);
  }
  const end = await hooks(page);
  const elapsedS = (Date.now() - t0) / 1000;
  const decodedS = (end.decodedFrames - framesAtStart) / 48000;
  const meanRms = rms.reduce((a, b) => a + b, 0) / rms.length;
  t.diagnostic(`websockets: ${sockets.join(', ')}; decoded ${decodedS.toFixed(2)} s in ${elapsedS.toFixed(1)} s, rms ${meanRms.toFixed(4)}`);
  assert.ok(sockets.some((u) => u.startsWith(`wss://${HOST}:${daemon.port}/ws/default`)), `a WSS stream: ${sockets}`);
  assert.equal(end.state, 'playing');
  assert.equal(end.underruns, 0, 'underruns after the prebuffer');
  assert.equal(end.decodeErrors, 0);
  assert.equal(end.sequenceGaps, 0);
  assert.ok(decodedS >= elapsedS * 0.95, `decoded ${decodedS.toFixed(2)} s of audio in ${elapsedS.toFixed(1)} s`);
  assert.ok(meanRms > MIN_RMS, `decoded RMS ${meanRms.toFixed(4)} should be above ${MIN_RMS}`);
  await page.click('#stop');
});
