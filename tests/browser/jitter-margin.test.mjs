// The page's jitter margin (web/js/jitter-margin.js) in plain Node, no browser: a ring fed the
// way the server feeds it (a join burst, then a batch every stream.fanout_ms) and played a render
// quantum at a time, with the worklet's rules: trim at the start, splice out what the margin
// returns, widen it after an underrun.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JitterMargin } from '../../web/js/jitter-margin.js';
import { MARGIN_MS, MARGIN_STEP_MS, MAX_MARGIN_MS, SPLICE_MIN_MS } from '../../web/js/constants.js';

const RATE = 48_000;
const QUANTUM = 128;
const ms = (frames) => (frames * 1000) / RATE;
const frames = (millis) => Math.round((RATE * millis) / 1000);

/** Plays `seconds` of a stream whose batches of batchMs land every batchMs, each `lateMs(i)`
 *  late; returns the ring's fill after each quantum, splices and underruns. */
function play(margin, { queued, seconds, batchMs = 100, everyMs = batchMs, lateMs = () => 0 }) {
  let size = queued - margin.startTrim(queued);
  const fills = [];
  let splices = 0;
  let underruns = 0;
  const batch = frames(batchMs);
  let next = batch; // next batch, in frames of the output clock (the burst holds the one due now)
  let nextIndex = 1;
  const total = frames(seconds * 1000);
  const land = (t) => {
    while (next + frames(lateMs(nextIndex)) <= t) {
      size += batch;
      next += frames(everyMs);
      nextIndex++;
    }
  };
  for (let t = 0; t < total; t += QUANTUM) {
    land(t);
    if (size < QUANTUM) {
      underruns++;
      margin.underrun();
      // The worklet waits for a prebuffer of the new margin; batches keep coming.
      while (size < margin.margin) land((t += QUANTUM));
      continue;
    }
    size -= QUANTUM;
    const cut = margin.played(QUANTUM, size);
    if (cut > 0) {
      size -= cut;
      splices++;
    }
    fills.push(size);
  }
  return { fills, splices, underruns, size };
}

const lowest = (xs) => xs.reduce((a, b) => Math.min(a, b), Infinity);

test('a join burst is trimmed to the margin and one batch before anything plays', () => {
  const margin = new JitterMargin(RATE);
  assert.equal(ms(margin.margin), MARGIN_MS);
  assert.equal(ms(margin.startTrim(frames(500))), 500 - MARGIN_MS - 100);
  assert.equal(margin.startTrim(frames(150)), 0, 'a short queue is kept whole');
});

test('frequent hold-ups: the low water over a window keeps the margin at the worst moment', () => {
  // Every tenth batch 200 ms late (the next on time): the ring keeps 200 ms more than the margin
  // between them, so that the margin is left when the late batch lands.
  const margin = new JitterMargin(RATE);
  margin.underrun();
  margin.underrun();
  const lateMs = (i) => (i % 10 === 0 ? 200 : 0);
  const run = play(margin, { queued: frames(500), seconds: 5 * 60, lateMs });
  assert.equal(run.underruns, 0);
  const low = ms(lowest(run.fills));
  assert.ok(low >= MARGIN_MS - 5 && low < MARGIN_MS + SPLICE_MIN_MS, `low water ${low} ms`);
});

test('batches on time: the low water sits at the margin, with no splices and no underruns', () => {
  const margin = new JitterMargin(RATE);
  const run = play(margin, { queued: frames(500), seconds: 30 });
  assert.equal(run.underruns, 0);
  assert.equal(run.splices, 0);
  const low = ms(lowest(run.fills.slice(frames(2000) / QUANTUM)));
  assert.ok(low >= MARGIN_MS - 5 && low <= MARGIN_MS + SPLICE_MIN_MS, `low water ${low} ms`);
});

test('a stall starves the ring: one underrun, a wider margin, and the pile-up after it is spliced out', () => {
  const margin = new JitterMargin(RATE);
  // Batch 50 lands 400 ms late, and the three due meanwhile with it.
  const lateMs = (i) => (i >= 50 && i < 54 ? 400 - (i - 50) * 100 : 0);
  const run = play(margin, { queued: frames(500), seconds: 30, lateMs });
  assert.equal(run.underruns, 1);
  assert.equal(ms(margin.margin), MARGIN_MS + MARGIN_STEP_MS);
  assert.ok(run.splices >= 1, 'what piled up is cut');
  const lateLow = ms(lowest(run.fills.slice(-frames(5000) / QUANTUM)));
  const wide = MARGIN_MS + MARGIN_STEP_MS;
  assert.ok(lateLow >= wide - 5 && lateLow < wide + SPLICE_MIN_MS, `low water at the end ${lateLow} ms`);
});

test('a sound card slower than the server: the growth is spliced out a little at a time', () => {
  const margin = new JitterMargin(RATE);
  // 1,000 ppm (ten times a poor crystal): 1 ms more every second.
  const run = play(margin, { queued: frames(500), seconds: 120, everyMs: 99.9 });
  assert.equal(run.underruns, 0);
  assert.ok(run.splices >= 2 && run.splices <= 5, `${run.splices} splices`);
  const low = ms(lowest(run.fills.slice(frames(2000) / QUANTUM)));
  assert.ok(low >= MARGIN_MS - 5, `low water ${low} ms`);
  assert.ok(ms(run.size) < MARGIN_MS + 100 + SPLICE_MIN_MS + 5, `queued at the end ${ms(run.size)} ms`);
});

test('an underrun widens the margin, up to the most', () => {
  const margin = new JitterMargin(RATE);
  margin.underrun();
  assert.equal(ms(margin.margin), MARGIN_MS + MARGIN_STEP_MS);
  for (let i = 0; i < 50; i++) margin.underrun();
  assert.equal(ms(margin.margin), MAX_MARGIN_MS);
});

test('a widened margin shrinks back while the low water stays clear of empty, and only then', () => {
  // Batches on time: back to the floor, a step a minute.
  const calm = new JitterMargin(RATE);
  calm.underrun();
  calm.underrun();
  const quiet = play(calm, { queued: frames(500), seconds: 12 * 60 });
  assert.equal(quiet.underruns, 0);
  assert.equal(ms(calm.margin), MARGIN_MS);

  // A 200 ms hold-up once a minute: the first one starves the floor margin, and the wider margin
  // stays, since every minute the low water comes within the slack of empty.
  const rare = new JitterMargin(RATE);
  const lateMs = (i) => (i % 600 === 300 ? 200 : 0);
  const run = play(rare, { queued: frames(500), seconds: 12 * 60, lateMs });
  assert.equal(run.underruns, 1);
  assert.equal(ms(rare.margin), MARGIN_MS + MARGIN_STEP_MS);
});
