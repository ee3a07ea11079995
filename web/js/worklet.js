// The AudioWorklet processor: a ring buffer between the stream engine and the speakers. Output
// starts after the prebuffer, the oldest audio is dropped when the ring is full, and a starved
// output counts an underrun and waits for a new prebuffer. Loaded with audioWorklet.addModule.
//
// Messages on this.port (from the page): {type:'input', port} connects the stream engine's PCM
// channel ({left, right, backlogFrames}); {type:'clear'} disconnects it and empties the ring.
// To the page: {type:'started'} once, {type:'underrun', playedFrames}, and periodic stats.
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
    this.input = null;
    this.port.onmessage = (e) => {
      const m = e.data;
      if (m.type === 'input') {
        this.input = m.port;
        this.input.onmessage = (p) => {
          this.backlog = p.data.backlogFrames;
          this.push(p.data.left, p.data.right);
        };
      } else if (m.type === 'clear') {
        if (this.input) this.input.close();
        this.input = null;
        this.size = 0;
        this.running = false;
      }
    };
  }

  push(left, right) {
    let n = left.length;
    let from = 0;
    if (n > this.capacity) {
      from = n - this.capacity;
      this.dropped += from;
      n = this.capacity;
    }
    const overflow = this.size + n - this.capacity;
    if (overflow > 0) {
      this.readIndex = (this.readIndex + overflow) % this.capacity;
      this.size -= overflow;
      this.dropped += overflow;
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
      });
    }
    return true;
  }
}

registerProcessor(RING_PROCESSOR, RingProcessor);
