// The ring worklet (web/js/worklet.js) in plain Node, with the few AudioWorklet globals it uses
// stood in: a held chord over a little noise is fed 1% faster than it plays (a sound card far
// slower than the server), so the ring keeps splicing audio out. Every splice must be free of
// clicks by MUSIC.md's join check (the 10 ms peak above 6 kHz within 50 ms of the cut under 20 dB
// over the median) and of dips (the cross-fade's level within 3 dB of the audio before it), and
// every frame played must be the stream's, in order, cuts aside.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const RATE = 48_000;
const QUANTUM = 128;
const BATCH = 4_800; // 100 ms, as the server's stream.fanout_ms
const FEED_FASTER = 1.01;

let Processor = null;
globalThis.sampleRate = RATE;
globalThis.currentTime = 0;
globalThis.AudioWorkletProcessor = class {
  constructor() {
    this.port = { postMessage: (m) => this.sent.push(m), onmessage: null };
    this.sent = [];
  }
};
globalThis.registerProcessor = (_name, cls) => {
  Processor = cls;
};
await import('../../web/js/worklet.js');

/** The stream: a held C major chord and noise 50 dB under it, frame by frame. */
function streamFrames(from, n) {
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = (from + i) / RATE;
    let v = 0;
    for (const f of [130.81, 196.0, 261.63, 329.63]) v += 0.15 * Math.sin(2 * Math.PI * f * t);
    // Noise from a hash of the frame number, so a frame is the same whenever it is asked for.
    let h = Math.imul((from + i) ^ 0x9e3779b9, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    const noise = ((h >>> 0) / 2 ** 32 - 0.5) * 0.006;
    left[i] = v + noise;
    right[i] = v - noise;
  }
  return { left, right };
}

/** Two cascaded RBJ high-pass biquads at fc (Butterworth Q). */
function highPass(x, fc) {
  const w = (2 * Math.PI * fc) / RATE;
  const alpha = Math.sin(w) / (2 * Math.SQRT1_2);
  const c = Math.cos(w);
  const a0 = 1 + alpha;
  const b = [(1 + c) / 2 / a0, -(1 + c) / a0, (1 + c) / 2 / a0];
  const a = [(-2 * c) / a0, (1 - alpha) / a0];
  let y = x;
  for (let stage = 0; stage < 2; stage++) {
    const out = new Float64Array(y.length);
    let x1 = 0;
    let x2 = 0;
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < y.length; i++) {
      const v = b[0] * y[i] + b[1] * x1 + b[2] * x2 - a[0] * y1 - a[1] * y2;
      x2 = x1;
      x1 = y[i];
      y2 = y1;
      y1 = v;
      out[i] = v;
    }
    y = out;
  }
  return y;
}

test('splices to keep the margin are cross-faded without clicks, and play the stream in order', () => {
  const ring = new Processor();
  const input = { onmessage: null, close() {} };
  ring.port.onmessage({ data: { type: 'input', port: input } });
  let fed = 0;
  const feed = (n) => {
    const { left, right } = streamFrames(fed, n);
    input.onmessage({ data: { left, right, backlogFrames: 0, streamFrame: fed } });
    fed += n;
  };
  feed(24_000); // the join burst, 500 ms

  const seconds = 20;
  const out = new Float64Array(seconds * RATE);
  const heads = []; // [output frame, stream frame at the read head] after each quantum
  const cuts = []; // output frames where a splice began
  let nextBatchAt = BATCH / FEED_FASTER;
  for (let t = 0; t + QUANTUM <= out.length; t += QUANTUM) {
    while (nextBatchAt <= t) {
      feed(BATCH);
      nextBatchAt += BATCH / FEED_FASTER;
    }
    globalThis.currentTime = t / RATE;
    const left = new Float32Array(QUANTUM);
    const right = new Float32Array(QUANTUM);
    const splicesBefore = ring.splices;
    ring.process([], [[left, right]]);
    if (ring.splices > splicesBefore) cuts.push(t + QUANTUM);
    for (let i = 0; i < QUANTUM; i++) out[t + i] = (left[i] + right[i]) / 2;
    heads.push([t + QUANTUM, ring.headFrame()]);
  }

  assert.equal(ring.underruns, 0);
  assert.ok(cuts.length >= 3, `${cuts.length} splices in ${seconds} s fed 1% fast`);
  const queuedMs = (ring.size * 1000) / RATE;
  assert.ok(queuedMs < 120 + 100 + 40, `the ring stays near its margin: ${queuedMs} ms queued at the end`);

  // In order: between cuts the read head moves exactly as fast as the output.
  for (let k = 1; k < heads.length; k++) {
    const [at, head] = heads[k];
    const [, before] = heads[k - 1];
    const cut = cuts.includes(at);
    if (!cut) assert.equal(head - before, QUANTUM, `the head at output frame ${at}`);
    else assert.ok(head - before > QUANTUM, `a cut moves the head forward at ${at}`);
  }

  // Clicks: 10 ms blocks of the signal above 6 kHz.
  const hf = highPass(out, 6_000);
  const block = 480;
  const peaks = [];
  for (let b = 0; b + block <= hf.length; b += block) {
    let peak = 0;
    for (let i = b; i < b + block; i++) peak = Math.max(peak, Math.abs(hf[i]));
    peaks.push(peak);
  }
  const start = Math.ceil(0.5 * RATE / block); // after the filters settled
  const sorted = peaks.slice(start).sort((x, y) => x - y);
  const median = sorted[sorted.length >> 1];
  for (const cut of cuts) {
    const from = Math.max(start, Math.floor((cut - 2_400) / block));
    const to = Math.ceil((cut + 2_400) / block);
    const peak = Math.max(...peaks.slice(from, to));
    const db = 20 * Math.log10(peak / median);
    // No dip: the cut is placed where the audio after it matches the audio before it, so the
    // cross-fade does not cancel the held notes (measured: within 1 dB mostly, down to -7 dB
    // with the cut left where the margin put it).
    const rms = (from) => Math.sqrt(out.subarray(from, from + block).reduce((sum, v) => sum + v * v, 0) / block);
    const before = Array.from({ length: 38 }, (_, k) => rms(cut - (k + 2) * block)).sort((x, y) => x - y);
    const dip = 20 * Math.log10(rms(cut) / before[before.length >> 1]);
    console.log(`splice at ${(cut / RATE).toFixed(2)} s: ${db.toFixed(1)} dB above 6 kHz, level ${dip.toFixed(1)} dB`);
    assert.ok(dip > -3, `the cross-fade at ${(cut / RATE).toFixed(2)} s dips ${dip.toFixed(1)} dB`);
    assert.ok(db < 20, `the splice at ${(cut / RATE).toFixed(2)} s peaks ${db.toFixed(1)} dB over the median above 6 kHz`);
  }
});
