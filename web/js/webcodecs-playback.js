// Low-latency playback, the page's side: the stream engine in a worker (stream-worker.js) decodes
// WebSocket audio with WebCodecs and feeds the ring-buffer worklet (worklet.js) over a
// MessageChannel; the worklet's node plays into the shared audio graph.
import { CHANNELS, RING_PROCESSOR, SAMPLE_RATE } from './constants.js';
import { stats } from './state.js';
import { decoderConfig, StreamEngine } from './stream.js';
import { setStatus } from './ui.js';

const WORKER_URL = new URL('./stream-worker.js', import.meta.url);
const WORKLET_URL = new URL('./worklet.js', import.meta.url);

export class WebCodecsPlayback {
  /** WebCodecs and AudioWorklet exist only in a secure context (https, or http on localhost). */
  static available(graph) {
    return (
      window.isSecureContext &&
      typeof window.AudioDecoder === 'function' &&
      typeof window.EncodedAudioChunk === 'function' &&
      !!graph.ctx.audioWorklet &&
      typeof window.AudioWorkletNode === 'function' &&
      graph.ctx.sampleRate === SAMPLE_RATE // the ring plays the stream's samples as they are
    );
  }

  /** available() and the decoder takes the stream's Opus configuration. */
  static async supported(graph) {
    if (!WebCodecsPlayback.available(graph)) return false;
    try {
      const support = await AudioDecoder.isConfigSupported(decoderConfig());
      return !!support.supported;
    } catch {
      return false;
    }
  }

  /** graph: the shared audio graph; host: {event(msg)} takes the stream's text events,
   *  {error(status)} stops the playback and shows status. */
  constructor(sessionId, clickedAt, graph, host) {
    this.sessionId = sessionId;
    this.clickedAt = clickedAt;
    this.graph = graph;
    this.host = host;
    this.stopped = false;
    this.node = null;
    this.worker = null;
    this.engine = null; // main-thread engine, when the worker cannot decode
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.options = {
      url: `${scheme}//${location.host}/ws/${encodeURIComponent(sessionId)}`,
      clickedAt: performance.timeOrigin + clickedAt,
    };
  }

  async start() {
    // The engine starts at once; its PCM waits in the channel while the worklet module loads
    // (the first AudioContext takes a while to start its audio thread).
    const channel = new MessageChannel();
    try {
      this.worker = new Worker(WORKER_URL, { type: 'module' });
      this.worker.onmessage = (e) => this.onEngine(e.data);
      this.worker.onerror = (e) => this.fail(`stream worker: ${e.message || 'could not be loaded'}`);
      this.worker.postMessage({ type: 'start', port: channel.port2, options: this.options }, [channel.port2]);
    } catch {
      this.worker = null;
      this.startOnMainThread(channel.port2);
    }

    const { ctx } = this.graph;
    if (!this.graph.workletReady) this.graph.workletReady = ctx.audioWorklet.addModule(WORKLET_URL);
    await this.graph.workletReady;
    this.mark('worklet');
    if (this.stopped) return;
    this.node = new AudioWorkletNode(ctx, RING_PROCESSOR, {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [CHANNELS],
    });
    this.node.port.onmessage = (e) => this.onWorklet(e.data);
    this.node.connect(this.graph.gain);
    this.node.port.postMessage({ type: 'input', port: channel.port1 }, [channel.port1]);
  }

  startOnMainThread(port) {
    this.engine = new StreamEngine((m) => this.onEngine(m), port, this.options);
    this.engine.start();
  }

  mark(name) {
    if (stats.startup[name] === undefined) stats.startup[name] = Math.round(performance.now() - this.clickedAt);
  }

  onEngine(m) {
    if (this.stopped) return;
    switch (m.type) {
      case 'event':
        this.host.event(m.msg);
        break;
      case 'stats':
        Object.assign(stats, m.stats);
        break;
      case 'mark':
        if (stats.startup[m.name] === undefined) stats.startup[m.name] = m.ms;
        break;
      case 'closed':
        stats.reconnects++;
        stats.state = 'reconnecting';
        setStatus(`Connection lost (${m.code}); reconnecting in ${m.delayMs / 1000} s…`);
        break;
      case 'unsupported': // this browser's workers lack WebCodecs: decode here instead
        this.worker.terminate();
        this.worker = null;
        this.startOnMainThread(m.port);
        break;
      case 'fatal':
        this.fail(m.message);
        break;
      default:
        break;
    }
  }

  onWorklet(m) {
    if (this.stopped) return;
    const rate = this.graph.ctx.sampleRate;
    if (m.type === 'started') {
      stats.prebuffered = true;
      stats.timeToFirstAudioMs = Math.round(performance.now() - this.clickedAt);
      this.mark('firstAudio');
      stats.state = 'playing';
      setStatus('Playing.');
    } else if (m.type === 'underrun') {
      stats.underrunsAtMs.push(Math.round((m.playedFrames * 1000) / rate));
    } else if (m.type === 'stats') {
      stats.bufferedMs = Math.round((m.bufferedFrames * 1000) / rate);
      stats.underruns = m.underruns;
      stats.droppedFrames = m.dropped;
      if (stats.prebuffered && stats.state !== 'reconnecting') stats.state = m.running ? 'playing' : 'buffering';
      else if (stats.state === 'reconnecting' && m.running) stats.state = 'playing';
    }
  }

  fail(message) {
    stats.lastError = message;
    this.host.error(`Playback failed: ${message}`);
  }

  stop() {
    this.stopped = true;
    if (this.worker) {
      this.worker.postMessage({ type: 'stop' });
      const worker = this.worker;
      setTimeout(() => worker.terminate(), 1000); // after the socket's close handshake
    }
    if (this.engine) this.engine.stop();
    if (this.node) {
      this.node.port.postMessage({ type: 'clear' });
      this.node.disconnect();
    }
  }
}
