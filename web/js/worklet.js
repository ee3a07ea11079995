// The AudioWorklet processor: a ring buffer between the stream engine and the speakers. Output
// starts after the prebuffer, the oldest audio is dropped when the ring is full, and a starved
// output counts an underrun and waits for a new prebuffer. Loaded with audioWorklet.addModule.
//
// Messages on this.port (from the page): {type:'input', port} connects the stream engine's PCM
// channel ({left, right, backlogFrames, streamFrame}); {type:'clear'} disconnects it and empties
// the ring; {type:'watch', id, frame} asks to be told when that stream frame plays.
// To the page: {type:'started'} once, {type:'underrun', playedFrames}, {type:'reached', id,
// frame, contextTime} (the AudioContext time the watched frame is rendered at), and periodic
// stats (with the stream frame at the read head and the context time it plays at).
import { BACKLOG_START_FACTOR, PREBUFFER_MS, RING_MS, RING_PROCESSOR, WORKLET_STATS_MS } from './constants.js';

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
    const ready =
      this.size >= this.prebuffer && (this.backlog === 0 || this.size >= BACKLOG_START_FACTOR * this.prebuffer);
    if (!this.running && ready) {
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
      this.readIndex = (this.readIndex + take) % this.capacity;
      this.size -= take;
      this.played += take;
      this.leave(take);
      if (take < n) {
        // Starved: the rest of this quantum stays silent; wait for a new prebuffer.
        this.underruns++;
        this.running = false;
        this.port.postMessage({ type: 'underrun', playedFrames: this.played });
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
        played: this.played,
        running: this.running,
        headFrame: this.headFrame(),
        contextTime: currentTime,
      });
    }
    return true;
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
