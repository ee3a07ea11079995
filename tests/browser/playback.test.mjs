// The web player plays a fresh session over WebSocket + WebCodecs for at least 10 s: audible
// decoded audio, no underruns after the prebuffer, no gaps in the packet sequence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemonAndBrowser, hooks, waitForFirstAudio, createSessionInPage, api, sleep } from './harness.mjs';

const PLAY_SECONDS = 10;
const MIN_RMS = 0.003; // about -50 dBFS: ambient, but never silence

let daemon;
let browser;

withDaemonAndBrowser((d, b) => ([daemon, browser] = [d, b]));

test('the player plays a fresh session for 10 s with WebCodecs, audibly and without underruns', async (t) => {
  const { page } = browser;
  await page.goto(`${daemon.base}/`);
  await page.waitForSelector('#session option[value]:not([value=""])', { state: 'attached' }).catch(() => {});

  const created = await createSessionInPage(page, { name: `browser playback ${process.pid}` });
  t.diagnostic(`created session ${created.id}`);

  const clickedAt = Date.now();
  await page.click('#play');

  const started = await waitForFirstAudio(page);
  const firstAudioMs = Date.now() - clickedAt;
  assert.equal(started.mode, 'webcodecs', 'the page should use WebCodecs in a secure context (127.0.0.1)');

  const framesAtStart = started.decodedFrames;
  const samples = [];
  const t0 = Date.now();
  while (Date.now() - t0 < PLAY_SECONDS * 1000 + 500) {
    await sleep(1000);
    const h = await hooks(page);
    if (h.state === 'error') throw new Error(`player error: ${h.lastError}`);
    samples.push(h);
  }
  const end = samples[samples.length - 1];
  const elapsedS = (Date.now() - t0) / 1000;
  const decodedS = (end.decodedFrames - framesAtStart) / 48000;
  const rmsValues = samples.map((h) => h.rms);
  const meanRms = rmsValues.reduce((a, b) => a + b, 0) / rmsValues.length;
  const minRms = Math.min(...rmsValues);
  const maxOutputRms = Math.max(...samples.map((h) => h.outputRms));
  const bufferedMs = samples.map((h) => h.bufferedMs);

  const summary = {
    session: created.id,
    time_to_first_audio_ms: firstAudioMs,
    page_time_to_first_audio_ms: started.timeToFirstAudioMs,
    startup_ms: started.startup,
    played_s: Number(elapsedS.toFixed(1)),
    decoded_s: Number(decodedS.toFixed(2)),
    rms_mean: Number(meanRms.toFixed(4)),
    rms_min: Number(minRms.toFixed(4)),
    output_rms_max: Number(maxOutputRms.toFixed(4)),
    underruns: end.underruns,
    underruns_at_ms: end.underrunsAtMs,
    sequence_gaps: end.sequenceGaps,
    dropped_frames: end.droppedFrames,
    decode_errors: end.decodeErrors,
    buffered_ms_min: Math.min(...bufferedMs),
    buffered_ms_max: Math.max(...bufferedMs),
    now_playing: end.nowPlaying,
  };
  console.log(`browser.playback: ${JSON.stringify(summary)}`);

  assert.equal(end.mode, 'webcodecs');
  assert.equal(end.state, 'playing', `state after ${PLAY_SECONDS} s`);
  assert.equal(end.underruns, 0, 'underruns after the prebuffer');
  assert.equal(end.decodeErrors, 0, 'decode errors');
  assert.equal(end.sequenceGaps, 0, 'packet sequence gaps (the listener was skipped forward)');
  assert.ok(decodedS >= elapsedS * 0.95, `decoded ${decodedS.toFixed(2)} s of audio in ${elapsedS.toFixed(1)} s`);
  assert.ok(meanRms > MIN_RMS, `decoded RMS ${meanRms.toFixed(4)} should be above ${MIN_RMS}`);
  assert.ok(maxOutputRms > 0, 'audio should reach the analyser after the gain node');
  assert.ok(end.nowPlaying.key && end.nowPlaying.mode, `now playing filled from the hello: ${JSON.stringify(end.nowPlaying)}`);

  // What the page shows matches its hooks.
  assert.equal(await page.textContent('#st-mode'), 'WebCodecs');
  assert.equal(await page.textContent('#st-underruns'), '0');
  assert.equal(await page.textContent('#np-key'), String(end.nowPlaying.key));

  // Stop closes the stream.
  await page.click('#stop');
  const stopped = await hooks(page);
  assert.equal(stopped.state, 'stopped');
  const after = await api(daemon.base, 'DELETE', `/api/v1/sessions/${encodeURIComponent(created.id)}`);
  assert.equal(after.status, 204, `DELETE the test session: ${JSON.stringify(after.body)}`);
});
