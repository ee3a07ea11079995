// Issue 18 in Chromium: the page's format choice with capabilities switched off (WebCodecs over
// WebSocket, else Ogg in <audio>, else native HLS, else MP3), the MP3 mount played by the page's
// <audio> for 10 s with no stall and the Media Session metadata and actions, and the HLS
// playlist played through MSE by the npm hls.js package, both variants, 10 s with no stall.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { withDaemonAndBrowser, hooks, waitFor, api, sleep } from './harness.mjs';

const PLAY_SECONDS = 10;
const depsDir = process.env.AURALIS_BROWSER_DEPS || path.dirname(new URL(import.meta.url).pathname);
const HLS_JS = path.join(depsDir, 'node_modules', 'hls.js', 'dist', 'hls.min.js');

let daemon;
let browser;
let sessionId;

withDaemonAndBrowser(async (d, b) => {
  [daemon, browser] = [d, b];
  const created = await api(daemon.base, 'POST', '/api/v1/sessions', { name: `browser formats ${process.pid}` });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  sessionId = created.body.id;
});

/** Before any page script: no WebCodecs unless `webcodecs`; the <audio> element claims only the
 *  formats in `plays` among Ogg and HLS (MP3 is left as the browser has it). The page's Media
 *  Session handlers are kept where the test can call them, as the system's buttons would. */
async function pageWith({ webcodecs, plays }) {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => browser.errors.push(`pageerror: ${e.message}`));
  await page.addInitScript(
    ({ webcodecs, plays }) => {
      if (!webcodecs) {
        delete window.AudioDecoder;
        delete window.EncodedAudioChunk;
      }
      const original = HTMLMediaElement.prototype.canPlayType;
      HTMLMediaElement.prototype.canPlayType = function (type) {
        if (type.startsWith('audio/ogg')) return plays.includes('ogg') ? original.call(this, type) || 'maybe' : '';
        if (type === 'application/vnd.apple.mpegurl') return plays.includes('hls') ? 'maybe' : '';
        return original.call(this, type);
      };
      window.mediaSessionHandlers = {};
      if (navigator.mediaSession) {
        const set = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
        navigator.mediaSession.setActionHandler = (action, fn) => {
          window.mediaSessionHandlers[action] = fn;
          set(action, fn);
        };
      }
    },
    { webcodecs, plays },
  );
  await page.goto(`${daemon.base}/#session=${encodeURIComponent(sessionId)}`);
  await waitFor(async () => (await page.inputValue('#session')) === sessionId, {
    timeoutMs: 10_000,
    what: 'the session to be selected from the URL',
  });
  return page;
}

test('the page picks WebCodecs, else Ogg, else native HLS, else MP3, and shows it', async (t) => {
  const cases = [
    { webcodecs: true, plays: ['ogg', 'hls'], format: 'websocket', mode: 'webcodecs', shown: 'WebCodecs', src: null },
    { webcodecs: false, plays: ['ogg', 'hls'], format: 'ogg', mode: 'fallback', shown: 'audio element: Ogg Opus', src: `/stream/${sessionId}.ogg?t=` },
    { webcodecs: false, plays: ['hls'], format: 'hls', mode: 'fallback', shown: 'audio element: HLS', src: `/hls/${sessionId}/index.m3u8` },
    { webcodecs: false, plays: [], format: 'mp3', mode: 'fallback', shown: 'audio element: MP3', src: `/stream/${sessionId}.mp3?t=` },
  ];
  for (const c of cases) {
    const page = await pageWith(c);
    await page.click('#play');
    const h = await waitFor(async () => {
      const now = await hooks(page);
      return now.format ? now : null;
    }, { timeoutMs: 10_000, what: `a format to be chosen (${JSON.stringify(c.plays)})` });
    await sleep(300); // the readout refreshes every 200 ms
    const shown = await page.textContent('#st-mode');
    const src = await page.getAttribute('#fallback-audio', 'src');
    t.diagnostic(`webcodecs=${c.webcodecs} plays=${c.plays}: ${h.mode}/${h.format}, shown "${shown}", src ${src}`);
    assert.equal(h.mode, c.mode);
    assert.equal(h.format, c.format);
    assert.equal(shown, c.shown);
    if (c.src) assert.ok(src && src.startsWith(c.src), `<audio> src ${src}, wanted ${c.src}`);
    assert.equal(await page.isVisible('#fallback-notice'), c.mode === 'fallback');
    await page.click('#stop');
    await page.close();
  }
});

test('MP3 in <audio>: 10 s with no stall, Media Session metadata and play/stop', async () => {
  const page = await pageWith({ webcodecs: false, plays: [] });
  await page.evaluate(() => {
    const el = document.getElementById('fallback-audio');
    window.audioEvents = [];
    const t0 = performance.now();
    for (const type of ['playing', 'waiting', 'stalled'])
      el.addEventListener(type, () => {
        const b = el.buffered.length ? el.buffered.end(el.buffered.length - 1) : 0;
        window.audioEvents.push(`${type}@${Math.round(performance.now() - t0)}ms t=${el.currentTime.toFixed(2)} buffered to ${b.toFixed(2)}`);
      });
  });
  await page.click('#play');
  assert.equal((await hooks(page)).format, 'mp3');
  const currentTime = () => page.$eval('#fallback-audio', (el) => el.currentTime);
  let start = 0;
  await waitFor(async () => (start = await currentTime()) > 0, { timeoutMs: 20_000, what: 'the MP3 to start' });
  const t0 = Date.now();
  let advanced = 0;
  await waitFor(
    async () => {
      const h = await hooks(page);
      if (h.reconnects > 0 || h.state === 'error') throw new Error(`MP3 interrupted: ${h.lastError}`);
      advanced = (await currentTime()) - start;
      return advanced >= PLAY_SECONDS;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: `<audio> to advance ${PLAY_SECONDS} s on the MP3` },
  );
  const wall = (Date.now() - t0) / 1000;
  const h = await hooks(page);
  const events = await page.evaluate(() => window.audioEvents);
  console.log(`browser.formats mp3: ${JSON.stringify({ advanced_s: advanced, wall_s: wall, stalls: h.underruns, rms: h.rms, events })}`);
  assert.equal(h.state, 'playing');
  if (h.underruns) console.log(daemon.logs().split('\n').filter((l) => /listener|MP3|encoder/.test(l)).join('\n'));
  assert.equal(h.underruns, 0, "'waiting' after 'playing': a stall");
  assert.ok(wall < PLAY_SECONDS + 3, `${PLAY_SECONDS} s of audio took ${wall} s of wall time`);
  assert.ok(h.rms > 0.001, `the MP3 is audible (RMS ${h.rms})`);

  // What the system's media controls show: the music, as now playing has it.
  const meta = await waitFor(
    () => page.evaluate(() => {
      const m = navigator.mediaSession.metadata;
      return m && m.title !== 'Auralis' ? { title: m.title, artist: m.artist, album: m.album } : null;
    }),
    { timeoutMs: 10_000, what: 'Media Session metadata from now playing' },
  );
  const np = h.nowPlaying;
  assert.ok(meta.title.startsWith(`${np.key} ${np.mode}`), `title ${meta.title}, now playing ${JSON.stringify(np)}`);
  assert.equal(meta.artist, 'Auralis');
  assert.match(meta.album, /browser formats/);
  assert.equal(await page.evaluate(() => navigator.mediaSession.playbackState), 'playing');

  // The system's Stop and Play buttons.
  await page.evaluate(() => window.mediaSessionHandlers.stop());
  assert.equal((await hooks(page)).state, 'stopped');
  assert.equal(await page.evaluate(() => navigator.mediaSession.playbackState), 'paused');
  await page.evaluate(() => window.mediaSessionHandlers.play());
  await waitFor(async () => (await hooks(page)).state === 'playing', { timeoutMs: 20_000, what: 'Play from the media controls' });
  await page.click('#stop');
  await page.close();
});

test('hls.js plays both HLS variants through MSE for 10 s with no stall', async () => {
  const play = async (codec) => {
    const page = await browser.context.newPage();
    await page.goto(`${daemon.base}/healthz`);
    await page.addScriptTag({ path: HLS_JS });
    await page.evaluate(
      ({ url, codec }) => {
        const r = (window.hlsRun = { errors: [], stalls: 0, waiting: 0, playing: false, level: null });
        const audio = document.createElement('audio');
        document.body.append(audio);
        window.hlsAudio = audio;
        const hls = new Hls({ lowLatencyMode: false });
        hls.on(Hls.Events.MANIFEST_PARSED, (_, data) => {
          const i = data.levels.findIndex((l) => (l.audioCodec || l.codecSet || '').includes(codec));
          r.level = i < 0 ? null : data.levels[i].audioCodec;
          if (i < 0) r.errors.push(`no ${codec} level in ${JSON.stringify(data.levels.map((l) => l.audioCodec))}`);
          hls.currentLevel = i;
          audio.play().catch((e) => r.errors.push(`play(): ${e.message}`));
        });
        hls.on(Hls.Events.ERROR, (_, d) => {
          if (d.details === Hls.ErrorDetails.BUFFER_STALLED_ERROR) r.stalls++;
          else r.errors.push(`${d.fatal ? 'fatal ' : ''}${d.type}/${d.details}`);
        });
        const t0 = performance.now();
        r.events = [];
        for (const type of ['playing', 'waiting', 'seeking', 'seeked'])
          audio.addEventListener(type, () => r.events.push(`${type}@${Math.round(performance.now() - t0)}ms t=${audio.currentTime.toFixed(2)}`));
        // A 'waiting' inside a seek (hls.js moving to the live position or over a gap of a few
        // ms at the start) is no stall: audio time does not stop there.
        audio.addEventListener('playing', () => (r.playing = true));
        audio.addEventListener('waiting', () => r.playing && !audio.seeking && r.waiting++);
        hls.loadSource(url);
        hls.attachMedia(audio);
      },
      { url: `${daemon.base}/hls/${sessionId}/index.m3u8`, codec },
    );
    const state = () => page.evaluate(() => ({ ...window.hlsRun, t: window.hlsAudio.currentTime }));
    const first = await waitFor(async () => {
      const s = await state();
      if (s.errors.length) throw new Error(`${codec}: ${s.errors.join('; ')}`);
      return s.playing && s.t > 0 ? s : null;
    }, { timeoutMs: 30_000, what: `hls.js to start the ${codec} variant` });
    const t0 = Date.now();
    const last = await waitFor(async () => {
      const s = await state();
      return s.t - first.t >= PLAY_SECONDS || s.errors.length ? s : null;
    }, { timeoutMs: 30_000, intervalMs: 500, what: `${PLAY_SECONDS} s of the ${codec} variant` });
    const wall = (Date.now() - t0) / 1000;
    await page.close();
    return { codec, level: last.level, advanced_s: last.t - first.t, wall_s: wall, stalls: last.stalls, waiting: last.waiting, errors: last.errors, events: last.events };
  };
  const runs = await Promise.all([play('mp4a.40.2'), play('opus')]);
  console.log(`browser.formats hls.js: ${JSON.stringify(runs)}`);
  for (const r of runs) {
    assert.deepEqual(r.errors, [], `${r.codec}: hls.js errors`);
    assert.equal(r.stalls, 0, `${r.codec}: hls.js buffer stalls`);
    assert.equal(r.waiting, 0, `${r.codec}: 'waiting' after 'playing'`);
    assert.ok(r.level && r.level.includes(r.codec), `${r.codec}: played level ${r.level}`);
    assert.ok(r.advanced_s >= PLAY_SECONDS, `${r.codec}: advanced ${r.advanced_s} s`);
    assert.ok(r.wall_s < PLAY_SECONDS + 3, `${r.codec}: ${PLAY_SECONDS} s took ${r.wall_s} s of wall time`);
  }
});
