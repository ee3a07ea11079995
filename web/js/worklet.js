// The AudioWorklet processor: a ring buffer between the stream engine and the speakers. Output
// starts after the prebuffer, keeping only the jitter margin of what is queued then
// (jitter-margin.js); audio that piles up beyond the margin later is spliced out with a short
// cross-fade; the oldest audio is dropped when the ring is full, and a starved output counts an
// underrun, widens the margin and waits for a new prebuffer. Loaded with audioWorklet.addModule.
//
// Messages on this.port (from the page): {type:'input', port} connects the stream engine's PCM
// channel ({left, right, backlogFrames, streamFrame}); {type:'clear'} disconnects it and empties
// the ring; {type:'watch', id, frame} asks to be told when that stream frame plays.
// To the page: {type:'started'} once, {type:'underrun', playedFrames}, {type:'reached', id,
// frame, contextTime} (the AudioContext time the watched frame is rendered at), and periodic
// stats (with the stream frame at the read head and the context time it plays at).
import {
  BACKLOG_START_FACTOR,
  PREBUFFER_MS,
  RING_MS,
  RING_PROCESSOR,
  SPLICE_FADE_MS,
  SPLICE_SEARCH_MS,
  WORKLET_STATS_MS,
} from './constants.js';
import { JitterMargin } from './jitter-margin.js';

const RENDER_QUANTUM = 128; // frames per process() call (Web Audio's render quantum)

class RingProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    // sampleRate: the AudioContext's, a global of the worklet scope.
    this.capacity = Math.round((sampleRate * RING_MS) / 1000);
    this.prebuffer = Math.round((sampleRate * PREBUFFER_MS) / 1000);
    this.reportEvery = Math.round((sampleRate * WORKLET_STATS_MS) / 1000);
    this.left = new Float32Array(this.capacity);
    this.right = new Float32Array(this.capacity);
    this.readIndex = 0;
    this.size = 0;
    this.running = false; // prebuffer reached, output flowing
    this.started = false; // the first prebuffer was reached
    this.underruns = 0;
    this.dropped = 0;
    this.margin = new JitterMargin(sampleRate);
    this.spliced = 0; // frames cut out: trimmed at a start or spliced while playing
    this.splices = 0;
    this.fadeLength = Math.round((sampleRate * SPLICE_FADE_MS) / 1000);
    this.searchFrames = Math.round((sampleRate * SPLICE_SEARCH_MS) / 1000);
    // The audio just before a splice's cut, faded out over the first frames after it.
    this.tailLeft = new Float32Array(this.fadeLength);
    this.tailRight = new Float32Array(this.fadeLength);
    this.fadePosition = this.fadeLength; // == fadeLength: no fade under way
    this.played = 0;
    this.sinceReport = 0;
    this.backlog = 0; // audio received but not decoded yet (frames)
    // Stream positions: frames that entered and left the ring, counted since the start, and
    // where each pushed block starts ({at: entered count, frame: stream frame}), oldest first.
    this.entered = 0;
    this.departed = 0;
    this.positions = [];
    this.watches = []; // {id, frame}: stream frames the page waits for
    this.input = null;
    this.port.onmessage = (e) => {
      const m = e.data;
      if (m.type === 'input') {
        this.input = m.port;
        this.input.onmessage = (p) => {
          this.backlog = p.data.backlogFrames;
          this.push(p.data.left, p.data.right, p.data.streamFrame);
        };
      } else if (m.type === 'clear') {
        if (this.input) this.input.close();
        this.input = null;
        this.leave(this.size);
        this.size = 0;
        this.running = false;
        this.watches = [];
        this.fadePosition = this.fadeLength;
      } else if (m.type === 'watch') {
        this.watches.push({ id: m.id, frame: m.frame });
      }
    };
  }

  /** n frames left the ring (played or dropped). */
  leave(n) {
    this.departed += n;
    while (this.positions.length > 1 && this.positions[1].at <= this.departed) this.positions.shift();
  }

  /** The stream frame at the read head, or null when the engine sent no positions. */
  headFrame() {
    const p = this.positions[0];
    return p && p.at <= this.departed ? p.frame + (this.departed - p.at) : null;
  }

  push(left, right, streamFrame) {
    let n = left.length;
    let from = 0;
    if (n > this.capacity) {
      from = n - this.capacity;
      this.dropped += from;
      n = this.capacity;
    }
    if (Number.isFinite(streamFrame)) this.positions.push({ at: this.entered, frame: streamFrame + from });
    this.entered += n;
    const overflow = this.size + n - this.capacity;
    if (overflow > 0) {
      this.readIndex = (this.readIndex + overflow) % this.capacity;
      this.size -= overflow;
      this.dropped += overflow;
      this.leave(overflow);
    }
    const writeIndex = (this.readIndex + this.size) % this.capacity;
    const first = Math.min(n, this.capacity - writeIndex);
    this.left.set(left.subarray(from, from + first), writeIndex);
    this.right.set(right.subarray(from, from + first), writeIndex);
    if (first < n) {
      this.left.set(left.subarray(from + first, from + n), 0);
      this.right.set(right.subarray(from + first, from + n), 0);
    }
    this.size += n;
    // Start once the prebuffer is queued and the decoder has caught up with what arrived (a join
    // burst can decode slower than it arrives on a busy machine), or at a few prebuffers' worth.
    const prebuffer = Math.max(this.prebuffer, this.margin.margin);
    const ready = this.size >= prebuffer && (this.backlog === 0 || this.size >= BACKLOG_START_FACTOR * prebuffer);
    if (!this.running && ready) {
      // Whatever is queued beyond the margin (a join burst) would only delay every change.
      if (this.backlog === 0) this.skip(this.margin.startTrim(this.size), currentTime);
      this.running = true;
      if (!this.started) {
        this.started = true;
        this.port.postMessage({ type: 'started' });
      }
    }
  }

  process(_inputs, outputs) {
    const out = outputs[0];
    const left = out[0];
    const right = out[1] || out[0];
    const n = left.length;
    if (this.running) {
      const take = Math.min(n, this.size);
      if (take > 0 && this.watches.length) this.tellReached(take);
      const first = Math.min(take, this.capacity - this.readIndex);
      left.set(this.left.subarray(this.readIndex, this.readIndex + first), 0);
      right.set(this.right.subarray(this.readIndex, this.readIndex + first), 0);
      if (first < take) {
        left.set(this.left.subarray(0, take - first), first);
        right.set(this.right.subarray(0, take - first), first);
      }
      if (this.fadePosition < this.fadeLength) this.fadeTail(left, right, take);
      this.readIndex = (this.readIndex + take) % this.capacity;
      this.size -= take;
      this.played += take;
      this.leave(take);
      if (take < n) {
        // Starved: the rest of this quantum stays silent; wait for a new, wider prebuffer.
        this.underruns++;
        this.running = false;
        this.fadePosition = this.fadeLength;
        this.margin.underrun();
        this.port.postMessage({ type: 'underrun', playedFrames: this.played });
      } else {
        const excess = this.margin.played(n, this.size);
        if (excess > 0 && this.fadePosition === this.fadeLength) this.splice(excess, currentTime + n / sampleRate);
      }
    }
    this.sinceReport += n;
    if (this.sinceReport >= this.reportEvery) {
      this.sinceReport = 0;
      this.port.postMessage({
        type: 'stats',
        bufferedFrames: this.size,
        underruns: this.underruns,
        dropped: this.dropped,
        spliced: this.spliced,
        splices: this.splices,
        marginFrames: this.margin.margin,
        played: this.played,
        running: this.running,
        headFrame: this.headFrame(),
        contextTime: currentTime,
      });
    }
    return true;
  }

  /** Drops the n oldest queued frames unheard; watched frames among them count as reached at
   *  contextTime, where what follows them plays. */
  skip(n, contextTime) {
    if (n <= 0) return;
    const head = this.headFrame();
    this.readIndex = (this.readIndex + n) % this.capacity;
    this.size -= n;
    this.spliced += n;
    this.leave(n);
    if (head === null) return;
    this.watches = this.watches.filter((w) => {
      if (w.frame >= head + n) return true;
      this.port.postMessage({ type: 'reached', id: w.id, frame: w.frame, contextTime, passed: w.frame < head });
      return false;
    });
  }

  /** Cuts about `excess` frames from just after the read head, from the next quantum on (at
   *  contextTime): the cut moves within SPLICE_SEARCH_MS to where the audio after it matches the
   *  audio before it best, and the two cross-fade over SPLICE_FADE_MS, so a pad held across the
   *  cut goes on without a click. */
  splice(excess, contextTime) {
    const fade = this.fadeLength;
    const longest = this.size - fade - RENDER_QUANTUM; // the cut, its fade and a quantum are queued
    const from = Math.max(1, excess - this.searchFrames);
    const to = Math.min(excess + this.searchFrames, longest);
    if (to < from) return;
    const at = (i) => (this.readIndex + i) % this.capacity;
    const mono = (i) => this.left[at(i)] + this.right[at(i)];
    let best = from;
    let bestScore = -Infinity;
    for (let cut = from; cut <= to; cut += 2) {
      let dot = 0;
      let energy = 1e-9;
      for (let j = 0; j < fade; j += 2) {
        const after = mono(cut + j);
        dot += mono(j) * after;
        energy += after * after;
      }
      const score = dot / Math.sqrt(energy);
      if (score > bestScore) {
        bestScore = score;
        best = cut;
      }
    }
    for (let j = 0; j < fade; j++) {
      this.tailLeft[j] = this.left[at(j)];
      this.tailRight[j] = this.right[at(j)];
    }
    this.skip(best, contextTime);
    this.splices++;
    this.fadePosition = 0;
  }

  /** Mixes the audio from before the cut, fading out (raised cosine), into the first `take`
   *  frames of this quantum's output, which fade in. */
  fadeTail(left, right, take) {
    const count = Math.min(take, this.fadeLength - this.fadePosition);
    for (let i = 0; i < count; i++) {
      const p = this.fadePosition + i;
      const out = 0.5 + 0.5 * Math.cos((Math.PI * (p + 0.5)) / this.fadeLength);
      left[i] = left[i] * (1 - out) + this.tailLeft[p] * out;
      right[i] = right[i] * (1 - out) + this.tailRight[p] * out;
    }
    this.fadePosition += count;
  }

  /** This quantum plays `take` frames from the read head: tell the page which watched frames
   *  are among them (or already behind it: heard before the watch came), at what context time. */
  tellReached(take) {
    const head = this.headFrame();
    if (head === null) return;
    this.watches = this.watches.filter((w) => {
      if (w.frame >= head + take) return true;
      const contextTime = currentTime + (w.frame - head) / sampleRate;
      this.port.postMessage({ type: 'reached', id: w.id, frame: w.frame, contextTime, passed: w.frame < head });
      return false;
    });
  }
}

registerProcessor(RING_PROCESSOR, RingProcessor);
