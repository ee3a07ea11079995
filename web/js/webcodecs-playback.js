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
    this.watchers = new Map(); // watch token -> onReached (heard.js)
    this.watchTokens = 0;
    this.pendingWatches = []; // watches before the worklet node exists
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
    for (const w of this.pendingWatches) this.node.port.postMessage(w);
    this.pendingWatches = [];
  }

  startOnMainThread(port) {
    this.engine = new StreamEngine((m) => this.onEngine(m), port, this.options);
    this.engine.start();
  }

  /** heard.js's position clock: onReached({at, graphAt, outputLatencyMs, how, passed}) once
   *  this playback plays stream frame `frame` (at: page ms it leaves the speakers). */
  watch(frame, onReached) {
    const id = ++this.watchTokens;
    this.watchers.set(id, onReached);
    if (this.node) this.node.port.postMessage({ type: 'watch', id, frame });
    else this.pendingWatches.push({ type: 'watch', id, frame });
  }

  /** Page times (ms) of the frame the graph renders at contextTime: when it passes the graph
   *  (the analyser sees it) and when it leaves the speakers (graph + output latency). */
  pageTimes(contextTime) {
    const { ctx } = this.graph;
    const graphAt = performance.now() + (contextTime - ctx.currentTime) * 1000;
    const latency = Number.isFinite(ctx.outputLatency) && ctx.outputLatency > 0 ? ctx.outputLatency : null;
    // getOutputTimestamp: the context time leaving the speakers now, from the audio device.
    const ts = typeof ctx.getOutputTimestamp === 'function' ? ctx.getOutputTimestamp() : null;
    if (ts && ts.performanceTime > 0 && ts.contextTime > 0) {
      const at = ts.performanceTime + (contextTime - ts.contextTime) * 1000;
      return { at, graphAt, outputLatencyMs: Math.round(at - graphAt), how: 'output-timestamp' };
    }
    // No device timestamp: the latency the context reports (its base latency at least).
    const reported = latency ?? (Number.isFinite(ctx.baseLatency) ? ctx.baseLatency : 0);
    return { at: graphAt + reported * 1000, graphAt, outputLatencyMs: Math.round(reported * 1000), how: 'reported-latency' };
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
    } else if (m.type === 'reached') {
      const onReached = this.watchers.get(m.id);
      this.watchers.delete(m.id);
      if (onReached) onReached({ ...this.pageTimes(m.contextTime), passed: m.passed });
    } else if (m.type === 'underrun') {
      stats.underrunsAtMs.push(Math.round((m.playedFrames * 1000) / rate));
    } else if (m.type === 'stats') {
      stats.bufferedMs = Math.round((m.bufferedFrames * 1000) / rate);
      stats.underruns = m.underruns;
      stats.droppedFrames = m.dropped;
      stats.splicedMs = Math.round((m.spliced * 1000) / rate);
      stats.splices = m.splices;
      stats.marginMs = Math.round((m.marginFrames * 1000) / rate);
      stats.playingAtS = m.headFrame === null ? null : m.headFrame / rate;
      const latency = this.graph.ctx.outputLatency;
      stats.outputLatencyMs = Number.isFinite(latency) ? Math.round(latency * 1000) : null;
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
