// PATCH -> heard, in the page: the Brightness slider is moved like a user moves it (input and
// change events on the slider), between a dull and a bright value, several times. For each move
// the page reports heardMs (input -> its own playback plays the change's at_s, output latency
// included) and shows it; the page's analyser checks it independently: the energy above 2 kHz
// starts to move where the page says the change went through its audio graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemonAndBrowser, hooks, waitFor, waitForFirstAudio, sleep } from './harness.mjs';

const LOW = 0.1; // pad cutoff about 1 kHz
const HIGH = 0.95; // about 4.7 kHz
const MOVES = 8;
const MOVE_EVERY_MS = 7_000; // the previous move's glide is over (see AGREE_EARLY_MS)
const JOIN_AFTER_MS = 2_000; // the session's stream is older than the join burst (stream.burst_ms)
const STEADY_MS = 4_000; // playing before the first move: the pad faded in, the ring settled
// The targets: a move is heard within 400 ms (median), 600 ms at most. What makes up the figure
// here: the server places the change in the next 2,048-frame window (~60 ms), sends audio in
// 100 ms batches (stream.fanout_ms), the page's ring keeps its jitter margin (120 ms at the low
// water, jitter-margin.js; the rest of the 500 ms join burst is trimmed before it plays) and
// headless Chromium's output adds 85 ms: about 370 ms. Before the margin the ring kept the whole
// burst and a move took ~680 ms.
const MEDIAN_MAX_MS = 400;
const EACH_MAX_MS = 600;
// What the analyser shows (10 ms samples of the energy above 2 kHz, in dB of the whole): a move
// up (dull -> bright) is a step: the live shift and the re-planned phrase's own cutoff both glide
// in ~100 ms, so its halfway point between the levels before and after is the analyser's measure
// of when the change went through the page's audio graph. It must agree with the page's figure
// for that point (graphMs: heardMs less the output latency, which the analyser, ahead of the
// speakers, does not see), from AGREE_EARLY_MS before to AGREE_LATE_MS after (median of the up
// moves; measured +21 to +34 ms). A move down is printed, not checked: the bright notes already
// in the plate reverb ring out for a second or more, as in any mix. The flat-then-ramp fit of the
// median curve (onset) is printed too. This fails a page that leaves out its ring (~200 ms) or
// counts it twice, and a mix whose cutoff glides slowly again (it took ~1.6 s to halfway).
const AGREE_EARLY_MS = 100;
const AGREE_LATE_MS = 250;
const MIN_RISE_DB = 3; // the median level 1.1-1.6 s after the input over its level before
const HF_FROM_HZ = 2_000;
const SAMPLE_EVERY_MS = 10;
const FFT_SIZE = 1_024; // 21 ms at 48 kHz
const BEFORE_MS = 1_500;
const AFTER_MS = 1_600;
const HALFWAY_MS = 3_000; // looked for up to here (printed only)

let daemon;
let browser;

withDaemonAndBrowser((d, b) => ([daemon, browser] = [d, b]));

/** In the page: every SAMPLE_EVERY_MS, the analyser's newest time-domain samples -> the share of
 *  energy above HF_FROM_HZ. The analyser's own frequency data is smoothed for the meter
 *  (smoothingTimeConstant 0.82, about 35 ms of lag at this call rate, varying with the rate), so
 *  the test takes the raw samples and a Hann-windowed FFT of its own. Each sample is stamped
 *  with the page time of its window's centre. */
function startAnalyserProbe(page) {
  return page.evaluate(
    async ({ fftSize, everyMs, fromHz }) => {
      const { playingGraph } = await import('/js/player.js');
      const graph = playingGraph();
      if (!graph) throw new Error('nothing is playing');
      const { analyser, ctx } = graph;
      const n = fftSize;
      const full = new Float32Array(analyser.fftSize);
      const re = new Float64Array(n);
      const im = new Float64Array(n);
      const hann = Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
      const fromBin = Math.ceil((fromHz / ctx.sampleRate) * n);
      const fft = () => {
        for (let i = 1, j = 0; i < n; i++) {
          let bit = n >> 1;
          for (; j & bit; bit >>= 1) j ^= bit;
          j ^= bit;
          if (i < j) {
            [re[i], re[j]] = [re[j], re[i]];
            [im[i], im[j]] = [im[j], im[i]];
          }
        }
        for (let len = 2; len <= n; len <<= 1) {
          const a = (-2 * Math.PI) / len;
          for (let i = 0; i < n; i += len) {
            for (let k = 0; k < len / 2; k++) {
              const wr = Math.cos(a * k);
              const wi = Math.sin(a * k);
              const xr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
              const xi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
              re[i + k + len / 2] = re[i + k] - xr;
              im[i + k + len / 2] = im[i + k] - xi;
              re[i + k] += xr;
              im[i + k] += xi;
            }
          }
        }
      };
      const halfWindowMs = (n / 2 / ctx.sampleRate) * 1000;
      window.heardProbe = { samples: [], halfWindowMs };
      window.heardProbe.timer = setInterval(() => {
        const t = performance.now();
        analyser.getFloatTimeDomainData(full);
        for (let i = 0; i < n; i++) {
          re[i] = full[full.length - n + i] * hann[i];
          im[i] = 0;
        }
        fft();
        let all = 0;
        let high = 0;
        for (let k = 1; k < n / 2; k++) {
          const e = re[k] * re[k] + im[k] * im[k];
          all += e;
          if (k >= fromBin) high += e;
        }
        if (all > 0) window.heardProbe.samples.push([t - halfWindowMs, high / all]);
      }, everyMs);
      return { halfWindowMs, fromBin, sampleRate: ctx.sampleRate };
    },
    { fftSize: FFT_SIZE, everyMs: SAMPLE_EVERY_MS, fromHz: HF_FROM_HZ },
  );
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const db = (share) => 10 * Math.log10(share + 1e-12);

/** One move's level (dB of the share above 2 kHz) on a 10 ms grid from -BEFORE_MS to HALFWAY_MS
 *  around its input, minus its mean before the input, times sign. */
function aligned(samples, inputAt, sign) {
  const rows = samples.filter(([t]) => t >= inputAt - BEFORE_MS - 50 && t < inputAt + HALFWAY_MS + 50);
  const out = [];
  let j = 0;
  for (let g = -BEFORE_MS; g < HALFWAY_MS; g += SAMPLE_EVERY_MS) {
    while (j + 1 < rows.length && Math.abs(rows[j + 1][0] - inputAt - g) <= Math.abs(rows[j][0] - inputAt - g)) j++;
    out.push(db(rows[j][1]));
  }
  const base = mean(out.slice(0, BEFORE_MS / SAMPLE_EVERY_MS));
  return out.map((v) => sign * (v - base));
}

/** Fits y = a before tb, a + b (t - tb) after it (least squares); returns {tb, a, b}. */
function hingeFit(ts, ys) {
  let best = null;
  for (let i = 10; i < ts.length - 10; i++) {
    const tb = ts[i];
    const a = mean(ys.slice(0, i));
    let sxy = 0;
    let sxx = 0;
    for (let k = i; k < ts.length; k++) {
      sxy += (ts[k] - tb) * (ys[k] - a);
      sxx += (ts[k] - tb) ** 2;
    }
    const b = sxy / sxx;
    let err = 0;
    for (let k = 0; k < i; k++) err += (ys[k] - a) ** 2;
    for (let k = i; k < ts.length; k++) err += (ys[k] - a - b * (ts[k] - tb)) ** 2;
    if (!best || err < best.err) best = { err, tb, a, b };
  }
  return best;
}

/** The first time after the input that the level (sign-aligned) passes `half` and stays past it
 *  for 5 samples (50 ms), or null. */
function crossing(ts, ys, half) {
  for (let i = 0; i + 5 <= ts.length; i++) {
    if (ts[i] >= 0 && ys.slice(i, i + 5).every((v) => v > half)) return ts[i];
  }
  return null;
}

test('the page says when a Brightness move is heard, and its analyser agrees', async (t) => {
  const { page } = browser;
  await page.goto(`${daemon.base}/`);
  // The live brightness shift moves the pad's low-pass (1 kHz at 0.1, 4.7 kHz at 0.95). With
  // every layer on, the lead's and the percussion's own notes move the energy above 2 kHz as much
  // as the slider does (looked at in the probe's samples), so the session plays its pad alone.
  await page.click('#new-session');
  for (const layer of ['lead', 'bass', 'texture', 'percussion']) await page.uncheck(`#layer-${layer}`);
  await page.fill('#brightness', String(LOW));
  await page.fill('#new-name', `browser heard ${process.pid}`);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/sessions') && r.request().method() === 'POST'),
    page.click('#create-button'),
  ]);
  assert.equal(response.status(), 201, await response.text());
  const created = await response.json();
  assert.deepEqual(created.params.layers, { pad: true, lead: false, bass: false, texture: false, percussion: false });
  assert.equal(created.params.brightness, LOW);
  await waitFor(async () => (await page.inputValue('#session')) === created.id, { what: 'the new session selected' });
  t.diagnostic(`created session ${created.id}`);
  await sleep(JOIN_AFTER_MS); // as a listener joins a session that plays already: a whole burst
  await page.click('#play');
  const started = await waitForFirstAudio(page);
  assert.equal(started.mode, 'webcodecs', 'the page should use WebCodecs in a secure context (127.0.0.1)');

  await sleep(STEADY_MS); // the pad faded in, the ring and the decoder settled
  const steady = await hooks(page);
  assert.equal(steady.state, 'playing', `the player plays (${steady.lastError ?? ''})`);
  const underrunsBefore = steady.underruns;
  const probe = await startAnalyserProbe(page);
  await sleep(1_500);

  const moves = [];
  for (let i = 0; i < MOVES; i++) {
    const value = i % 2 === 0 ? HIGH : LOW;
    const known = (await hooks(page)).changes.length;
    await page.fill('#brightness', String(value)); // sets the value, fires 'input' and 'change'
    const record = await waitFor(
      async () => {
        const h = await hooks(page);
        if (h.state === 'error') throw new Error(`player error: ${h.lastError}`);
        const r = h.changes[known];
        return r && r.heard ? r : null;
      },
      { timeoutMs: 5_000, intervalMs: 50, what: `move ${i + 1} (brightness ${value}) to be heard` },
    );
    assert.equal(record.field, 'brightness');
    const status = await page.textContent('#change-status');
    assert.match(status, /^Brightness heard \d+ ms after you moved it/, 'the page tells the user');
    moves.push({ value, status, ...record });
    await sleep(Math.max(0, MOVE_EVERY_MS - (record.heardMs + 200)));
  }
  await sleep(500);
  const end = await hooks(page);
  const metrics = await (await fetch(`${daemon.base}/metrics`)).text();
  const metric = (name) => Number((new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics) || [])[1]);
  const samples = await page.evaluate(() => {
    clearInterval(window.heardProbe.timer);
    return window.heardProbe.samples;
  });

  // The analyser's measure (see AGREE_EARLY_MS): per move, and for the median of the moves.
  const grid = Array.from({ length: (BEFORE_MS + HALFWAY_MS) / SAMPLE_EVERY_MS }, (_, i) => -BEFORE_MS + i * SAMPLE_EVERY_MS);
  const fitEnd = grid.findIndex((t) => t >= AFTER_MS);
  const riseFrom = grid.findIndex((t) => t >= AFTER_MS - 500);
  const ts = grid.slice(0, fitEnd);
  const curves = moves.map((m) => aligned(samples, m.inputAt, m.value > LOW ? 1 : -1));
  const figures = moves.map((m, i) => {
    const ys = curves[i];
    const late = mean(ys.slice(grid.findIndex((t) => t >= HALFWAY_MS - 500)));
    return {
      move: i + 1,
      brightness: m.value,
      change: m.id,
      heard_with: m.heardWith ?? m.id,
      kind: m.kind,
      at_s: Number(m.atS.toFixed(3)),
      placed_ms: m.placedMs,
      heard_ms: m.heardMs,
      graph_ms: m.graphMs,
      output_latency_ms: m.outputLatencyMs,
      latency_from: m.latencyFrom,
      analyser_onset_ms: hingeFit(ts, ys.slice(0, fitEnd)).tb,
      analyser_halfway_ms: crossing(grid, ys, late / 2),
      level_change_db: Number(late.toFixed(1)),
      passed: m.passed,
    };
  });
  const typical = grid.map((_, k) => median(curves.map((c) => c[k])));
  const typicalFit = hingeFit(ts, typical.slice(0, fitEnd));
  const typicalRise = mean(typical.slice(riseFrom, fitEnd));
  const typicalLate = mean(typical.slice(grid.findIndex((t) => t >= HALFWAY_MS - 500)));
  const heard = figures.map((f) => f.heard_ms);
  const graphMedian = median(figures.map((f) => f.graph_ms));
  const ups = figures.filter((f) => f.brightness === HIGH && f.analyser_halfway_ms !== null);
  const upAgree = ups.length ? median(ups.map((f) => f.analyser_halfway_ms - f.graph_ms)) : null;
  const summary = {
    session: created.id,
    moves: figures,
    heard_ms_median: median(heard),
    heard_ms_max: Math.max(...heard),
    graph_ms_median: graphMedian,
    analyser_onset_ms: typicalFit.tb,
    analyser_minus_graph_ms: typicalFit.tb - graphMedian,
    analyser_slope_db_s: Number((typicalFit.b * 1000).toFixed(1)),
    analyser_rise_db: Number(typicalRise.toFixed(1)),
    analyser_late_db: Number(typicalLate.toFixed(1)),
    analyser_halfway_ms: crossing(grid, typical, typicalLate / 2),
    up_halfway_minus_graph_ms: upAgree,
    output_latency_ms: end.outputLatencyMs,
    playing_at_s: end.playingAtS,
    buffered_ms: end.bufferedMs,
    margin_ms: end.marginMs,
    spliced_ms: end.splicedMs,
    splices: end.splices,
    underruns: end.underruns - underrunsBefore,
    underruns_at_ms: end.underrunsAtMs,
    start_ms: end.startup,
    sequence_gaps: end.sequenceGaps,
    server_underrun_frames: metric('auralis_underrun_frames_total'),
    server_deadline_misses: metric('auralis_deadline_misses_total'),
    analyser_samples: samples.length,
    probe,
    last_status: moves[moves.length - 1].status,
  };
  console.log(`browser.heard: ${JSON.stringify(summary)}`);

  assert.equal(summary.underruns, 0, 'underruns while the slider moved');
  for (const f of figures) {
    assert.ok(f.heard_ms > 0 && f.heard_ms <= EACH_MAX_MS, `move ${f.move}: heard after ${f.heard_ms} ms`);
    assert.ok(!f.passed, `move ${f.move}: the page learnt of the change after playing it`);
    assert.ok(f.heard_ms > f.graph_ms, `move ${f.move}: the speakers come after the graph`);
  }
  assert.ok(summary.heard_ms_median <= MEDIAN_MAX_MS, `median heard ${summary.heard_ms_median} ms`);
  assert.ok(
    summary.analyser_rise_db >= MIN_RISE_DB,
    `the slider moves the energy above 2 kHz by ${summary.analyser_rise_db} dB 1.1-1.6 s after the input`,
  );
  assert.ok(ups.length >= MOVES / 2 - 1, `halfway crossings found for ${ups.length} moves up`);
  assert.ok(
    upAgree >= -AGREE_EARLY_MS && upAgree <= AGREE_LATE_MS,
    `a move up is halfway in the analyser ${upAgree} ms after the page says it went through the graph`,
  );
});
