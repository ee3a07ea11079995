// Without WebCodecs the page plays the HTTP Ogg stream through an <audio> element and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemonAndBrowser, hooks, waitFor, api } from './harness.mjs';

let daemon;
let browser;
let sessionId;

withDaemonAndBrowser((d, b) => ([daemon, browser] = [d, b]));

test('with AudioDecoder removed the page falls back to <audio> on the Ogg stream and plays', async (t) => {
  const { page } = browser;
  // Before any page script runs: a browser without WebCodecs.
  await page.addInitScript(() => {
    delete window.AudioDecoder;
    delete window.EncodedAudioChunk;
  });

  const created = await api(daemon.base, 'POST', '/api/v1/sessions', { name: `browser fallback ${process.pid}` });
  assert.equal(created.status, 201, `POST /api/v1/sessions: ${JSON.stringify(created.body)}`);
  sessionId = created.body.id;
  t.diagnostic(`created session ${sessionId}`);

  await page.goto(`${daemon.base}/#session=${encodeURIComponent(sessionId)}`);
  assert.equal(await page.evaluate(() => typeof window.AudioDecoder), 'undefined');
  await waitFor(async () => (await page.inputValue('#session')) === sessionId, {
    timeoutMs: 10_000,
    what: `the session ${sessionId} to be selected from the URL`,
  });

  const clickedAt = Date.now();
  await page.click('#play');
  assert.equal((await hooks(page)).mode, 'fallback');
  assert.ok(await page.isVisible('#fallback-notice'), 'the page says the fallback is in use');
  const src = await page.getAttribute('#fallback-audio', 'src');
  assert.match(src, new RegExp(`^/stream/${sessionId}\\.ogg`), 'the <audio> element plays the Ogg stream');

  // A late joiner's first granule is not zero, so currentTime starts at the stream's position:
  // what must pass 5 s is how far it advanced, on one connection.
  const currentTime = () => page.$eval('#fallback-audio', (el) => el.currentTime);
  let startTime = 0;
  const firstSound = await waitFor(
    async () => {
      startTime = await currentTime();
      return startTime > 0 ? Date.now() : null;
    },
    { timeoutMs: 30_000, what: 'the <audio> element to start' },
  );
  let advanced = 0;
  await waitFor(
    async () => {
      const now = await page.evaluate(() => ({
        t: document.getElementById('fallback-audio').currentTime,
        reconnects: window.auralisPlayer.reconnects,
        error: window.auralisPlayer.lastError,
      }));
      if (now.reconnects > 0) throw new Error(`the Ogg stream was interrupted: ${now.error}`);
      advanced = now.t - startTime;
      return advanced > 5;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: '<audio> currentTime to advance 5 s' },
  );
  const h = await hooks(page);
  const summary = {
    session: sessionId,
    time_to_first_audio_ms: firstSound - clickedAt,
    page_time_to_first_audio_ms: h.timeToFirstAudioMs,
    first_current_time_s: Number(startTime.toFixed(2)),
    advanced_s: Number(advanced.toFixed(2)),
    wall_s: Number(((Date.now() - clickedAt) / 1000).toFixed(1)),
    state: h.state,
    rms: Number(h.rms.toFixed(4)),
    stalls: h.underruns,
    reconnects: h.reconnects,
    error: h.lastError,
    now_playing: h.nowPlaying,
  };
  console.log(`browser.fallback: ${JSON.stringify(summary)}`);
  assert.equal(h.mode, 'fallback');
  assert.equal(h.state, 'playing');
  assert.equal(h.reconnects, 0, 'stream reconnects');
  assert.equal(h.lastError, null);
  assert.equal(await page.textContent('#st-mode'), 'audio element: Ogg Opus');
  assert.equal(h.format, 'ogg');
  // Now playing comes from the REST resource while the fallback plays.
  await waitFor(async () => (await hooks(page)).nowPlaying.key, { timeoutMs: 10_000, what: 'now playing' });

  await page.click('#stop');
  assert.equal((await hooks(page)).state, 'stopped');
  const deleted = await api(daemon.base, 'DELETE', `/api/v1/sessions/${encodeURIComponent(sessionId)}`);
  assert.equal(deleted.status, 204);
});
