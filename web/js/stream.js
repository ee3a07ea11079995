// The stream engine: WebSocket /ws/{id} in, binary messages parsed (docs/stream-protocol.md),
// Opus decoded with WebCodecs' AudioDecoder, PCM out to the worklet's input port; events, start-up
// marks and stats out through post(). It runs in the stream worker (stream-worker.js), or on the
// page's main thread where a worker has no WebCodecs: nothing here touches the DOM.
import {
  AUDIO_HEADER_BYTES,
  AUDIO_MAGIC,
  CHANNELS,
  DEFAULT_PRE_SKIP,
  ENGINE_STATS_MS,
  FRAMES_PER_PACKET,
  MAX_DECODE_QUEUE,
  RECONNECT_MS,
  RMS_WINDOW_S,
  SAMPLE_RATE,
} from './constants.js';

/** The AudioDecoder configuration for the stream; description: the OpusHead bytes. */
export function decoderConfig(description) {
  return {
    codec: 'opus',
    sampleRate: SAMPLE_RATE,
    numberOfChannels: CHANNELS,
    ...(description ? { description } : {}),
  };
}

/** One binary message -> {firstPacket, granule, count, packets}; throws on a malformed one. */
export function parseAudioMessage(buffer) {
  if (buffer.byteLength < AUDIO_HEADER_BYTES) throw new Error(`short message (${buffer.byteLength} bytes)`);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < AUDIO_MAGIC.length; i++) if (bytes[i] !== AUDIO_MAGIC[i]) throw new Error('bad magic');
  const view = new DataView(buffer);
  const firstPacket = Number(view.getBigUint64(4, true));
  const granule = Number(view.getBigUint64(12, true));
  const count = view.getUint16(20, true);
  let offset = AUDIO_HEADER_BYTES + 2 * count;
  if (buffer.byteLength < offset) throw new Error('truncated size table');
  const packets = [];
  for (let i = 0; i < count; i++) {
    const size = view.getUint16(AUDIO_HEADER_BYTES + 2 * i, true);
    if (offset + size > buffer.byteLength) throw new Error('truncated packet');
    packets.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return { firstPacket, granule, count, packets };
}

function base64Bytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// Epoch milliseconds: comparable between the page and a worker (their performance clocks differ).
const now = () => performance.timeOrigin + performance.now();

export class StreamEngine {
  /** post(msg): to the page; pcmPort: the worklet's input; options: {url, clickedAt (epoch ms)}. */
  constructor(post, pcmPort, options) {
    this.post = post;
    this.pcmPort = pcmPort;
    this.url = options.url;
    this.clickedAt = options.clickedAt;
    this.stopped = false;
    this.ended = false;
    this.ws = null;
    this.decoder = null;
    this.config = null;
    this.preSkip = DEFAULT_PRE_SKIP;
    this.expectedPacket = null;
    this.meanSquare = 0;
    this.reconnects = 0;
    this.marks = new Set();
    this.stats = {
      decodedFrames: 0,
      packets: 0,
      messages: 0,
      rms: 0,
      sequenceGaps: 0,
      skippedPackets: 0,
      decodeErrors: 0,
      lastError: null,
    };
    this.statsTimer = null;
  }

  start() {
    this.connect();
    this.statsTimer = setInterval(() => this.post({ type: 'stats', stats: { ...this.stats } }), ENGINE_STATS_MS);
  }

  mark(name) {
    if (this.marks.has(name)) return;
    this.marks.add(name);
    this.post({ type: 'mark', name, ms: Math.round(now() - this.clickedAt) });
  }

  connect() {
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      this.reconnects = 0;
      this.mark('open');
    };
    ws.onmessage = (e) => (typeof e.data === 'string' ? this.onText(e.data) : this.onBinary(e.data));
    ws.onclose = (e) => {
      if (this.stopped || this.ended) return;
      const delayMs = RECONNECT_MS[Math.min(this.reconnects, RECONNECT_MS.length - 1)];
      this.reconnects++;
      this.post({ type: 'closed', code: e.code, delayMs });
      setTimeout(() => {
        if (!this.stopped) this.connect();
      }, delayMs);
    };
    this.ws = ws;
  }

  onText(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type === 'hello') {
      this.mark('hello');
      if (msg.codec && msg.codec !== 'opus') {
        this.post({ type: 'fatal', message: `unsupported codec ${msg.codec}` });
        return;
      }
      this.configure(msg);
    } else if (msg.type === 'end') {
      this.ended = true;
    }
    this.post({ type: 'event', msg });
  }

  configure(hello) {
    this.preSkip = Number.isFinite(hello.pre_skip) ? hello.pre_skip : DEFAULT_PRE_SKIP;
    this.config = decoderConfig(hello.opus_head ? base64Bytes(hello.opus_head) : null);
    this.expectedPacket = null;
    this.makeDecoder();
  }

  makeDecoder() {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = new AudioDecoder({
      output: (data) => this.onDecoded(data),
      error: (e) => {
        this.stats.decodeErrors++;
        this.stats.lastError = `decoder: ${e.message}`;
        if (!this.stopped && this.config) this.makeDecoder(); // again from the next packet
      },
    });
    this.decoder.configure(this.config);
  }

  onBinary(buffer) {
    if (!this.decoder || this.decoder.state !== 'configured') return; // audio before hello
    let msg;
    try {
      msg = parseAudioMessage(buffer);
    } catch (e) {
      this.stats.lastError = `bad audio message: ${e.message}`;
      return;
    }
    this.stats.messages++;
    this.mark('firstMessage');
    if (this.expectedPacket !== null && msg.firstPacket !== this.expectedPacket) {
      this.stats.sequenceGaps++;
      if (msg.firstPacket > this.expectedPacket) this.stats.skippedPackets += msg.firstPacket - this.expectedPacket;
    }
    this.expectedPacket = msg.firstPacket + msg.count;
    if (this.decoder.decodeQueueSize > MAX_DECODE_QUEUE) return;
    // Timestamps from the granule: 48 kHz samples at the end of the last packet, pre-skip included.
    const firstSample = msg.granule - msg.count * FRAMES_PER_PACKET;
    for (let i = 0; i < msg.count; i++) {
      const startSample = firstSample + i * FRAMES_PER_PACKET;
      this.decoder.decode(
        new EncodedAudioChunk({
          type: 'key',
          timestamp: Math.round(((startSample - this.preSkip) * 1e6) / SAMPLE_RATE),
          duration: Math.round((FRAMES_PER_PACKET * 1e6) / SAMPLE_RATE),
          data: msg.packets[i],
        }),
      );
      this.stats.packets++;
    }
  }

  onDecoded(data) {
    try {
      if (this.stopped) return;
      const frames = data.numberOfFrames;
      const left = new Float32Array(frames);
      const right = new Float32Array(frames);
      data.copyTo(left, { planeIndex: 0, format: 'f32-planar' });
      if (data.numberOfChannels > 1) data.copyTo(right, { planeIndex: 1, format: 'f32-planar' });
      else right.set(left);
      let sum = 0;
      for (let i = 0; i < frames; i++) sum += left[i] * left[i] + right[i] * right[i];
      const a = Math.min(1, frames / (SAMPLE_RATE * RMS_WINDOW_S));
      this.meanSquare += a * (sum / (2 * Math.max(frames, 1)) - this.meanSquare);
      this.stats.rms = Math.sqrt(this.meanSquare);
      this.stats.decodedFrames += frames;
      this.mark('firstDecoded');
      const backlogFrames = this.decoder.decodeQueueSize * FRAMES_PER_PACKET;
      // Where these frames are in the stream (the chunks' timestamps, pre-skip removed): the
      // worklet tells the page which stream position it plays, in the units of a change's at_s.
      const streamFrame = Math.round((data.timestamp * SAMPLE_RATE) / 1e6);
      this.pcmPort.postMessage({ left, right, backlogFrames, streamFrame }, [left.buffer, right.buffer]);
    } finally {
      data.close();
    }
  }

  stop() {
    this.stopped = true;
    clearInterval(this.statsTimer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000);
    }
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.pcmPort.close();
  }
}
