// Auralis web player: picks or creates a session, edits its parameters, shows what is playing
// and plays it live. Low-latency path: WebSocket /ws/{id} -> WebCodecs AudioDecoder (Opus) ->
// AudioWorklet ring buffer -> gain -> analyser -> speakers. Fallback (no secure context or no
// WebCodecs): an <audio> element on the Ogg stream /stream/{id}.ogg.
// Wire formats: proto/STREAM_PROTOCOL.md. Test hooks: window.auralisPlayer (read-only).

const API = '/api/v1/sessions';
const SAMPLE_RATE = 48000;
const CHANNELS = 2;
const PREBUFFER_MS = 120; // output starts once this much audio is queued
const RING_MS = 1500; // ring capacity; the oldest audio is dropped beyond it
const FALLBACK_POLL_MS = 2000; // now-playing poll while the <audio> element plays

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// State and the read-only test hooks

const stats = {
  state: 'idle', // idle | connecting | buffering | playing | reconnecting | stopped | ended | error
  mode: null, // 'webcodecs' | 'fallback' once Play was pressed
  sessionId: null,
  decodedFrames: 0,
  packets: 0,
  messages: 0,
  rms: 0, // recent decoded RMS (fallback: measured at the analyser)
  outputRms: 0, // measured at the analyser, after the volume
  underruns: 0, // output starved after the prebuffer (fallback: 'waiting' after 'playing')
  underrunsAtMs: [], // when, in ms of audio played
  prebuffered: false,
  bufferedMs: 0,
  droppedFrames: 0, // ring full: oldest audio dropped
  sequenceGaps: 0, // binary messages whose first_packet was not the expected one
  skippedPackets: 0, // packets missing across those gaps
  decodeErrors: 0,
  reconnects: 0, // the stream connection dropped and was opened again
  timeToFirstAudioMs: null, // Play click -> first output (prebuffer filled / 'playing')
  fallbackCurrentTime: 0,
  startup: {}, // ms after the Play click: worklet, open, hello, firstMessage, firstDecoded, firstAudio
  lastError: null,
};
const nowPlaying = { phrase: null, key: null, mode: null, tempo_bpm: null, chord: null, bar: null, engine: null };
let currentParams = null;

const hooks = {};
const copy = (v) => (v && typeof v === 'object' ? structuredClone(v) : v);
for (const name of Object.keys(stats)) {
  Object.defineProperty(hooks, name, { get: () => copy(stats[name]), enumerable: true });
}
Object.defineProperty(hooks, 'nowPlaying', { get: () => ({ ...nowPlaying }), enumerable: true });
Object.defineProperty(hooks, 'params', {
  get: () => (currentParams ? structuredClone(currentParams) : null),
  enumerable: true,
});
Object.freeze(hooks);
Object.defineProperty(window, 'auralisPlayer', { value: hooks, enumerable: true });

// ---------------------------------------------------------------------------------------------
// REST API

class ApiError extends Error {
  constructor(status, body, fallbackMessage) {
    const e = body && body.error ? body.error : {};
    super(e.message || fallbackMessage);
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.field = e.field || '';
  }
}

// Bearer token for POST/PATCH/DELETE when the server has api.token set (asked for on a 401).
const TOKEN_KEY = 'auralis.apiToken';
let apiToken = '';
try {
  apiToken = localStorage.getItem(TOKEN_KEY) || '';
} catch {
  apiToken = ''; // storage blocked: the token lasts for this page only
}

async function api(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (apiToken && method !== 'GET') init.headers.Authorization = `Bearer ${apiToken}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, null, `cannot reach the server (${e.message})`);
  }
  let data = null;
  const text = res.status === 204 ? '' : await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.status === 401) $('token-form').hidden = false;
  if (!res.ok) throw new ApiError(res.status, data, `${method} ${path}: HTTP ${res.status}`);
  return data;
}

function saveToken(event) {
  event.preventDefault();
  apiToken = $('api-token').value.trim();
  try {
    if (apiToken) localStorage.setItem(TOKEN_KEY, apiToken);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage blocked: keep it in memory
  }
  $('token-form').hidden = true;
  clearAllErrors();
  setStatus(apiToken ? 'Token saved: try the change again.' : 'Token cleared.');
}

const sessionPath = (id) => `${API}/${encodeURIComponent(id)}`;

// ---------------------------------------------------------------------------------------------
// Field errors

const LAYERS = ['pad', 'lead', 'bass', 'texture', 'percussion'];
const NUMBER_FIELDS = ['tempo_bpm', 'energy', 'brightness', 'density'];

function errorElementFor(field) {
  const base = (field || '').split('.')[0];
  if (base === 'name' || base === 'id') return $('name-error');
  return (base && $(`${base}-error`)) || $('session-error');
}

function controlFor(field) {
  const base = (field || '').split('.')[0];
  if (base === 'layers') return null;
  return $(base === 'name' || base === 'id' ? 'new-name' : base);
}

function showFieldError(err) {
  errorElementFor(err.field).textContent = err.message;
  const control = controlFor(err.field);
  if (control) control.setAttribute('aria-invalid', 'true');
}

function clearFieldError(field) {
  errorElementFor(field).textContent = '';
  const control = controlFor(field);
  if (control) control.removeAttribute('aria-invalid');
}

function clearAllErrors() {
  for (const el of document.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of document.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

function setStatus(text) {
  $('status').textContent = text;
}

// ---------------------------------------------------------------------------------------------
// Parameter controls

const editing = new Set(); // sliders being dragged: incoming params do not move them

function formatNumber(field, value) {
  return field === 'tempo_bpm' ? String(Math.round(value)) : Number(value).toFixed(2);
}

const FLATS = { DB: 'C#', EB: 'D#', GB: 'F#', AB: 'G#', BB: 'A#', CB: 'B', FB: 'E' };
function normaliseKey(key) {
  const k = key.trim().toUpperCase();
  return FLATS[k] || k;
}

function showParams(params) {
  if (!params) return;
  currentParams = params;
  if (typeof params.key === 'string') $('key').value = normaliseKey(params.key);
  if (typeof params.mode === 'string') $('mode').value = params.mode;
  for (const f of NUMBER_FIELDS) {
    if (typeof params[f] === 'number' && !editing.has(f)) {
      $(f).value = String(params[f]);
      $(`${f}-out`).textContent = formatNumber(f, params[f]);
    }
  }
  if (params.layers) {
    for (const l of LAYERS) if (typeof params.layers[l] === 'boolean') $(`layer-${l}`).checked = params.layers[l];
  }
}

function paramsFromControls() {
  const layers = {};
  for (const l of LAYERS) layers[l] = $(`layer-${l}`).checked;
  return {
    key: $('key').value,
    mode: $('mode').value,
    tempo_bpm: Number($('tempo_bpm').value),
    energy: Number($('energy').value),
    brightness: Number($('brightness').value),
    density: Number($('density').value),
    layers,
  };
}

async function patchParam(field, body) {
  const id = selectedSessionId();
  clearFieldError(field);
  if (!id || drafting) return; // the controls only prepare a new session
  try {
    const resource = await api('PATCH', sessionPath(id), body);
    if (resource && resource.params) showParams(resource.params);
  } catch (err) {
    if (!err.field) err.field = field;
    showFieldError(err);
    if (currentParams) showParams(currentParams); // back to what the server has
  }
}

function wireParamControls() {
  for (const f of ['key', 'mode']) {
    $(f).addEventListener('change', () => patchParam(f, { [f]: $(f).value }));
  }
  for (const f of NUMBER_FIELDS) {
    const input = $(f);
    input.addEventListener('input', () => {
      editing.add(f);
      $(`${f}-out`).textContent = formatNumber(f, input.value);
    });
    input.addEventListener('change', () => {
      editing.delete(f);
      patchParam(f, { [f]: Number(input.value) });
    });
  }
  for (const l of LAYERS) {
    const box = $(`layer-${l}`);
    box.addEventListener('change', () => patchParam(`layers.${l}`, { layers: { [l]: box.checked } }));
  }
  $('params-form').addEventListener('submit', (e) => e.preventDefault());
}

// ---------------------------------------------------------------------------------------------
// Sessions

function selectedSessionId() {
  return $('session').value || null;
}

let drafting = false; // the parameter controls describe a session not created yet

function setDrafting(on) {
  drafting = on;
  $('create-form').hidden = !on;
  $('new-session').disabled = on;
  $('params-hint').textContent = on
    ? 'These parameters are for the new session.'
    : 'Changes apply to the selected session from its next phrase.';
  clearAllErrors();
  if (on) $('new-name').focus();
}

async function loadSessions(preferId) {
  const select = $('session');
  let list;
  try {
    const data = await api('GET', API);
    list = Array.isArray(data) ? data : (data && data.sessions) || [];
    clearFieldError('session');
  } catch (err) {
    $('session-error').textContent = `Could not list sessions: ${err.message}`;
    return;
  }
  const fromHash = (location.hash.match(/session=([^&]+)/) || [])[1];
  const keep = preferId || selectedSessionId() || (fromHash && decodeURIComponent(fromHash));
  select.replaceChildren();
  if (list.length === 0) select.append(new Option('No sessions yet: create one', ''));
  for (const s of list) {
    const label = s.name && s.name !== s.id ? `${s.name} (${s.id})` : s.id;
    select.append(new Option(label, s.id));
  }
  const ids = list.map((s) => s.id);
  select.value = keep && ids.includes(keep) ? keep : ids[0] || '';
  await onSessionSelected();
}

async function onSessionSelected() {
  const id = selectedSessionId();
  $('play').disabled = !id || !!player;
  if (drafting) setDrafting(false);
  clearAllErrors();
  if (!player || player.sessionId !== id) resetNowPlaying();
  if (!id) {
    $('open-link').hidden = true;
    return;
  }
  history.replaceState(null, '', `#session=${encodeURIComponent(id)}`);
  const link = $('open-link');
  link.href = `/stream/${encodeURIComponent(id)}.ogg`;
  link.hidden = false;
  try {
    const s = await api('GET', sessionPath(id));
    showParams(s.params);
    if (s.now_playing && (!player || player.sessionId !== id)) updateNowPlaying(s.now_playing);
  } catch (err) {
    $('session-error').textContent = err.message;
  }
  if (player && player.sessionId !== id) {
    // Switch what is playing; the AudioContext made in the first click is reused.
    await restartPlayback(id);
  }
}

async function createSession(event) {
  event.preventDefault();
  clearFieldError('name');
  clearFieldError('session');
  const body = paramsFromControls();
  const name = $('new-name').value.trim();
  if (name) body.name = name;
  const button = $('create-button');
  button.disabled = true;
  try {
    const created = await api('POST', API, body);
    $('new-name').value = '';
    setDrafting(false);
    setStatus(`Created session ${created.id}.`);
    await loadSessions(created.id);
  } catch (err) {
    showFieldError(err);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Now playing

function resetNowPlaying() {
  for (const k of Object.keys(nowPlaying)) nowPlaying[k] = null;
  renderNowPlaying();
}

function updateNowPlaying(update) {
  for (const k of Object.keys(nowPlaying)) if (update[k] !== undefined) nowPlaying[k] = update[k];
  renderNowPlaying();
}

function renderNowPlaying() {
  const dash = '—';
  $('np-key').textContent = nowPlaying.key ?? dash;
  $('np-mode').textContent = nowPlaying.mode ?? dash;
  $('np-tempo').textContent = nowPlaying.tempo_bpm != null ? `${Math.round(nowPlaying.tempo_bpm)} BPM` : dash;
  $('np-phrase').textContent = nowPlaying.phrase ?? dash;
  $('np-bar').textContent = nowPlaying.bar != null ? nowPlaying.bar + 1 : dash;
  $('np-engine').textContent = nowPlaying.engine ?? dash;
  $('np-chord').textContent = nowPlaying.chord ?? dash;
}

function onEvent(msg) {
  switch (msg.type) {
    case 'hello':
      if (msg.params) showParams(msg.params);
      if (msg.now_playing) updateNowPlaying(msg.now_playing);
      break;
    case 'phrase': {
      const first = Array.isArray(msg.chords) && msg.chords.length ? msg.chords[0] : null;
      updateNowPlaying({
        phrase: msg.phrase,
        key: msg.key,
        mode: msg.mode,
        tempo_bpm: msg.tempo_bpm,
        engine: msg.engine,
        chord: first ? first.name : nowPlaying.chord,
        bar: first ? first.bar : 0,
      });
      break;
    }
    case 'chord':
      updateNowPlaying({ phrase: msg.phrase, chord: msg.name, bar: msg.bar });
      break;
    case 'params':
      showParams(msg.params);
      break;
    case 'end':
      stopPlayback(`Session ended: ${msg.reason || 'closed by the server'}.`, 'ended');
      loadSessions();
      break;
    default:
      break; // unknown events are ignored: the protocol may grow
  }
}
// ---------------------------------------------------------------------------------------------
// Stream engine: WebSocket in, parse (proto/STREAM_PROTOCOL.md), WebCodecs decode, PCM out to
// the worklet's input port; events, marks and stats out through post(). It runs in a dedicated
// Worker (Blob URL) so page work never delays decoding, or on the main thread where a worker
// has no WebCodecs. Self-contained: its source is also the worker's source.

function streamEngineSource() {
  const SAMPLE_RATE = 48000;
  const CHANNELS = 2;
  const FRAMES_PER_PACKET = 960; // 20 ms packets
  const HEADER_BYTES = 22; // magic, first_packet, granule, count
  const MAGIC = [0x41, 0x55, 0x4f, 0x31]; // "AUO1"
  const RMS_WINDOW_S = 0.5; // "recent" decoded level
  const RECONNECT_MS = [500, 1000, 2000, 4000];
  const MAX_DECODE_QUEUE = 50; // packets; beyond it the decoder is far behind and input is dropped

  /** One binary message -> {firstPacket, granule, count, packets}; throws on a malformed one. */
  function parseAudioMessage(buffer) {
    if (buffer.byteLength < HEADER_BYTES) throw new Error(`short message (${buffer.byteLength} bytes)`);
    const bytes = new Uint8Array(buffer);
    for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw new Error('bad magic');
    const view = new DataView(buffer);
    const firstPacket = Number(view.getBigUint64(4, true));
    const granule = Number(view.getBigUint64(12, true));
    const count = view.getUint16(20, true);
    let offset = HEADER_BYTES + 2 * count;
    if (buffer.byteLength < offset) throw new Error('truncated size table');
    const packets = [];
    for (let i = 0; i < count; i++) {
      const size = view.getUint16(HEADER_BYTES + 2 * i, true);
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

  const now = () => performance.timeOrigin + performance.now();

  class StreamEngine {
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
      this.preSkip = 312;
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
      this.statsTimer = setInterval(() => this.post({ type: 'stats', stats: { ...this.stats } }), 200);
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
      this.preSkip = Number.isFinite(hello.pre_skip) ? hello.pre_skip : 312;
      this.config = {
        codec: 'opus',
        sampleRate: SAMPLE_RATE,
        numberOfChannels: CHANNELS,
        ...(hello.opus_head ? { description: base64Bytes(hello.opus_head) } : {}),
      };
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
        this.pcmPort.postMessage({ type: 'pcm', left, right, backlogFrames }, [left.buffer, right.buffer]);
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
  return StreamEngine;
}

// The worker: {type:'start', port, options} starts an engine; {type:'stop'} ends it. A worker
// without WebCodecs hands the port back ({type:'unsupported'}) and the page decodes itself.
function streamWorkerMain(StreamEngine) {
  let engine = null;
  self.onmessage = (e) => {
    const m = e.data;
    if (m.type === 'start') {
      if (typeof AudioDecoder !== 'function' || typeof EncodedAudioChunk !== 'function') {
        self.postMessage({ type: 'unsupported', port: m.port }, [m.port]);
        return;
      }
      engine = new StreamEngine((msg) => self.postMessage(msg), m.port, m.options);
      engine.start();
    } else if (m.type === 'stop' && engine) {
      engine.stop();
      engine = null;
    }
  };
}

let workerUrl = null;
function streamWorkerUrl() {
  if (!workerUrl) {
    const source = `(${streamWorkerMain.toString()})((${streamEngineSource.toString()})());\n`;
    workerUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  }
  return workerUrl;
}

// ---------------------------------------------------------------------------------------------
// AudioWorklet: a ring buffer that starts output after the prebuffer, drops the oldest audio
// when full and counts underruns. Its source travels as a Blob URL (no extra file, no build).

function ringProcessorSource() {
  class AuralisRing extends AudioWorkletProcessor {
    constructor(options) {
      super();
      const o = options.processorOptions;
      this.capacity = o.capacityFrames;
      this.prebuffer = o.prebufferFrames;
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
      this.input = null; // the stream engine's channel: {type:'pcm', left, right, backlogFrames}
      this.port.onmessage = (e) => {
        const m = e.data;
        if (m.type === 'input') {
          this.input = m.port;
          this.input.onmessage = (p) => this.onPcm(p.data);
        } else if (m.type === 'clear') {
          if (this.input) this.input.close();
          this.input = null;
          this.size = 0;
          this.running = false;
        }
      };
    }

    onPcm(m) {
      if (m.type !== 'pcm') return;
      this.backlog = m.backlogFrames;
      this.push(m.left, m.right);
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
      let writeIndex = (this.readIndex + this.size) % this.capacity;
      const first = Math.min(n, this.capacity - writeIndex);
      this.left.set(left.subarray(from, from + first), writeIndex);
      this.right.set(right.subarray(from, from + first), writeIndex);
      if (first < n) {
        this.left.set(left.subarray(from + first, from + n), 0);
        this.right.set(right.subarray(from + first, from + n), 0);
      }
      this.size += n;
      // Start once the prebuffer is queued and the decoder has caught up with what arrived
      // (a join burst can decode slower than it arrives on a busy machine), or at 2.5x the prebuffer.
      const ready = this.size >= this.prebuffer && (this.backlog === 0 || this.size >= 2.5 * this.prebuffer);
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
      if (this.sinceReport >= sampleRate / 10) {
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
  registerProcessor('auralis-ring', AuralisRing);
}

let workletUrl = null;
function ringProcessorUrl() {
  if (!workletUrl) {
    const source = `(${ringProcessorSource.toString()})();\n`;
    workletUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  }
  return workletUrl;
}

// ---------------------------------------------------------------------------------------------
// Audio graph shared by both paths: source -> gain (volume) -> analyser -> destination

let audio = null; // { ctx, gain, analyser, workletReady, mediaSource }

function createAudioGraph() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  let ctx;
  try {
    ctx = new Ctx({ sampleRate: SAMPLE_RATE, latencyHint: 'playback' });
  } catch {
    ctx = new Ctx(); // a browser that cannot run at 48 kHz resamples in the worklet's place
  }
  const gain = ctx.createGain();
  gain.gain.value = Number($('volume').value);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  analyser.smoothingTimeConstant = 0.82;
  gain.connect(analyser);
  analyser.connect(ctx.destination);
  return { ctx, gain, analyser, workletReady: null, mediaSource: null };
}

function webCodecsAvailable() {
  return (
    window.isSecureContext &&
    typeof window.AudioDecoder === 'function' &&
    typeof window.EncodedAudioChunk === 'function' &&
    !!audio &&
    !!audio.ctx.audioWorklet &&
    typeof window.AudioWorkletNode === 'function'
  );
}

const decoderConfig = (description) => ({
  codec: 'opus',
  sampleRate: SAMPLE_RATE,
  numberOfChannels: CHANNELS,
  ...(description ? { description } : {}),
});

// ---------------------------------------------------------------------------------------------
// WebCodecs playback: worklet node in the graph, stream engine in a worker feeding it

class WebCodecsPlayback {
  constructor(sessionId, clickedAt) {
    this.sessionId = sessionId;
    this.clickedAt = clickedAt;
    this.stopped = false;
    this.node = null;
    this.worker = null;
    this.engine = null; // main-thread engine, when the worker cannot decode
  }

  async start() {
    // The engine starts at once; its PCM waits in the channel while the worklet module loads
    // (the first AudioContext takes a while to start its audio thread).
    const channel = new MessageChannel();
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.options = {
      url: `${scheme}//${location.host}/ws/${encodeURIComponent(this.sessionId)}`,
      clickedAt: performance.timeOrigin + this.clickedAt,
    };
    try {
      this.worker = new Worker(streamWorkerUrl());
      this.worker.onmessage = (e) => this.onEngine(e.data);
      this.worker.onerror = (e) => this.fail(`worker: ${e.message}`);
      this.worker.postMessage({ type: 'start', port: channel.port2, options: this.options }, [channel.port2]);
    } catch {
      this.worker = null;
      this.startOnMainThread(channel.port2);
    }

    if (!audio.workletReady) audio.workletReady = audio.ctx.audioWorklet.addModule(ringProcessorUrl());
    await audio.workletReady;
    this.mark('worklet');
    if (this.stopped) return;
    const rate = audio.ctx.sampleRate;
    this.node = new AudioWorkletNode(audio.ctx, 'auralis-ring', {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [CHANNELS],
      processorOptions: {
        capacityFrames: Math.round((rate * RING_MS) / 1000),
        prebufferFrames: Math.round((rate * PREBUFFER_MS) / 1000),
      },
    });
    this.node.port.onmessage = (e) => this.onWorklet(e.data);
    this.node.connect(audio.gain);
    this.node.port.postMessage({ type: 'input', port: channel.port1 }, [channel.port1]);
  }

  startOnMainThread(port) {
    const StreamEngine = streamEngineSource();
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
        onEvent(m.msg);
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
    if (m.type === 'started') {
      stats.prebuffered = true;
      stats.timeToFirstAudioMs = Math.round(performance.now() - this.clickedAt);
      this.mark('firstAudio');
      stats.state = 'playing';
      setStatus('Playing.');
    } else if (m.type === 'underrun') {
      stats.underrunsAtMs.push(Math.round((m.playedFrames * 1000) / audio.ctx.sampleRate));
    } else if (m.type === 'stats') {
      stats.bufferedMs = Math.round((m.bufferedFrames * 1000) / audio.ctx.sampleRate);
      stats.underruns = m.underruns;
      stats.droppedFrames = m.dropped;
      if (stats.prebuffered && stats.state !== 'reconnecting') stats.state = m.running ? 'playing' : 'buffering';
      else if (stats.state === 'reconnecting' && m.running) stats.state = 'playing';
    }
  }

  fail(message) {
    stats.lastError = message;
    stopPlayback(`Playback failed: ${message}`, 'error');
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

// ---------------------------------------------------------------------------------------------
// Fallback playback: <audio> on the HTTP Ogg stream; now-playing from the REST resource

class FallbackPlayback {
  constructor(sessionId, clickedAt) {
    this.sessionId = sessionId;
    this.clickedAt = clickedAt;
    this.stopped = false;
    this.el = $('fallback-audio');
    this.poll = null;
    this.playedOnce = false;
    this.handlers = {};
    this.retries = 0;
    this.retryTimer = null;
  }

  start() {
    const el = this.el;
    const url = `/stream/${encodeURIComponent(this.sessionId)}.ogg`;
    $('stream-link').href = url;
    $('fallback-notice').hidden = false;
    if (audio && !audio.mediaSource) {
      try {
        audio.mediaSource = audio.ctx.createMediaElementSource(el); // volume and meter in the graph
        audio.mediaSource.connect(audio.gain);
      } catch {
        audio.mediaSource = null;
      }
    }
    el.volume = audio && audio.mediaSource ? 1 : Number($('volume').value);
    this.handlers = {
      playing: () => {
        this.retries = 0;
        if (!this.playedOnce) {
          this.playedOnce = true;
          stats.prebuffered = true;
          stats.timeToFirstAudioMs = Math.round(performance.now() - this.clickedAt);
        }
        stats.state = 'playing';
        setStatus('Playing (audio element fallback).');
      },
      waiting: () => {
        if (this.playedOnce) stats.underruns++;
        stats.state = 'buffering';
      },
      timeupdate: () => {
        stats.fallbackCurrentTime = el.currentTime;
      },
      // A live stream has no end: the connection was dropped (e.g. the listener fell behind).
      ended: () => this.retry('the stream ended'),
      error: () => {
        const err = el.error;
        this.retry(`audio element: ${err ? err.message || 'code ' + err.code : 'error'}`);
      },
    };
    for (const [k, f] of Object.entries(this.handlers)) el.addEventListener(k, f);
    this.url = url;
    this.load();
    this.poll = setInterval(() => this.refresh(), FALLBACK_POLL_MS);
    this.refresh();
  }

  load() {
    this.el.src = `${this.url}?t=${Date.now()}`; // a fresh live connection, never a cached one
    const played = this.el.play();
    if (played && played.catch) {
      played.catch((e) => {
        if (!this.stopped && e.name === 'NotAllowedError') stopPlayback(`Playback was refused: ${e.message}`, 'error');
      });
    }
  }

  retry(reason) {
    if (this.stopped || this.retryTimer) return;
    stats.lastError = reason;
    if (++this.retries > 5) {
      stopPlayback(`Playback failed: ${reason}`, 'error');
      return;
    }
    stats.reconnects++;
    stats.state = 'reconnecting';
    setStatus(`Stream interrupted (${reason}); reconnecting…`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.load();
    }, 1000 * this.retries);
  }

  async refresh() {
    try {
      const s = await api('GET', sessionPath(this.sessionId));
      if (this.stopped) return;
      if (s.now_playing) updateNowPlaying(s.now_playing);
      if (s.params && !editing.size) showParams(s.params);
    } catch (err) {
      if (err.status === 404 && !this.stopped) {
        stopPlayback('Session ended: it no longer exists.', 'ended');
        loadSessions();
      }
    }
  }

  stop() {
    this.stopped = true;
    clearInterval(this.poll);
    clearTimeout(this.retryTimer);
    for (const [k, f] of Object.entries(this.handlers)) this.el.removeEventListener(k, f);
    this.el.pause();
    this.el.removeAttribute('src');
    this.el.load(); // closes the HTTP connection
  }
}

// ---------------------------------------------------------------------------------------------
// Play / Stop

let player = null;

function resetPlaybackStats() {
  Object.assign(stats, {
    decodedFrames: 0,
    packets: 0,
    messages: 0,
    rms: 0,
    outputRms: 0,
    underruns: 0,
    underrunsAtMs: [],
    prebuffered: false,
    bufferedMs: 0,
    droppedFrames: 0,
    sequenceGaps: 0,
    skippedPackets: 0,
    decodeErrors: 0,
    reconnects: 0,
    timeToFirstAudioMs: null,
    fallbackCurrentTime: 0,
    startup: {},
    lastError: null,
  });
}

async function canUseWebCodecs() {
  if (!webCodecsAvailable()) return false;
  try {
    const support = await AudioDecoder.isConfigSupported(decoderConfig());
    return !!support.supported;
  } catch {
    return false;
  }
}

async function beginPlayback(sessionId, clickedAt) {
  resetPlaybackStats();
  stats.sessionId = sessionId;
  stats.state = 'connecting';
  setStatus('Connecting…');
  const useWebCodecs = await canUseWebCodecs();
  stats.mode = useWebCodecs ? 'webcodecs' : 'fallback';
  $('fallback-notice').hidden = useWebCodecs;
  player = useWebCodecs ? new WebCodecsPlayback(sessionId, clickedAt) : new FallbackPlayback(sessionId, clickedAt);
  $('stop').disabled = false;
  $('play').disabled = true;
  try {
    await player.start();
    if (stats.state === 'connecting') stats.state = 'buffering';
  } catch (e) {
    stopPlayback(`Playback failed: ${e.message}`, 'error');
  }
}

function onPlayClick() {
  const id = selectedSessionId();
  if (!id) return;
  const clickedAt = performance.now();
  // The AudioContext is made (or resumed) here, inside the user gesture.
  if (!audio) audio = createAudioGraph();
  if (audio && audio.ctx.state !== 'running') audio.ctx.resume();
  if (!webCodecsAvailable()) {
    // Start the <audio> element while the gesture is fresh.
    resetPlaybackStats();
    stats.sessionId = id;
    stats.mode = 'fallback';
    stats.state = 'connecting';
    setStatus('Connecting (audio element fallback)…');
    player = new FallbackPlayback(id, clickedAt);
    $('stop').disabled = false;
    $('play').disabled = true;
    player.start();
    return;
  }
  $('play').disabled = true; // until the path is chosen: no second click meanwhile
  beginPlayback(id, clickedAt);
}

function stopPlayback(message, state = 'stopped') {
  if (player) {
    player.stop();
    player = null;
  }
  stats.state = state;
  stats.bufferedMs = 0;
  $('play').disabled = !selectedSessionId();
  $('stop').disabled = true;
  setStatus(message || 'Stopped.');
}

async function restartPlayback(id) {
  const mode = stats.mode;
  stopPlayback('Switching session…', 'connecting');
  if (mode === 'fallback') {
    player = new FallbackPlayback(id, performance.now());
    resetPlaybackStats();
    stats.sessionId = id;
    stats.mode = 'fallback';
    $('stop').disabled = false;
    $('play').disabled = true;
    player.start();
  } else {
    await beginPlayback(id, performance.now());
  }
}

// ---------------------------------------------------------------------------------------------
// Meter: spectrum and level on the canvas, stats text

const canvas = $('spectrum');
const g = canvas.getContext('2d');
let freq = null;
let wave = null;
let peakLevel = 0;

function measureOutput() {
  if (!audio || !player) {
    stats.outputRms = 0;
    return;
  }
  if (!wave || wave.length !== audio.analyser.fftSize) wave = new Float32Array(audio.analyser.fftSize);
  audio.analyser.getFloatTimeDomainData(wave);
  let sum = 0;
  for (let i = 0; i < wave.length; i++) sum += wave[i] * wave[i];
  stats.outputRms = Math.sqrt(sum / wave.length);
  if (stats.mode === 'fallback') {
    const v = Number($('volume').value);
    stats.rms = v > 0 && audio.mediaSource ? stats.outputRms / v : stats.rms;
  }
}

function resizeCanvas() {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const h = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
}

function draw() {
  try {
    drawFrame();
  } finally {
    requestAnimationFrame(draw);
  }
}

function drawFrame() {
  resizeCanvas();
  const w = canvas.width;
  const h = canvas.height;
  g.clearRect(0, 0, w, h);
  if (w < 48 || h < 8) return; // hidden or collapsed
  const bars = Math.max(24, Math.min(96, Math.floor(w / 10)));
  const gap = Math.max(1, Math.round(w / bars / 5));
  const barWidth = w / bars - gap;
  const fill = g.createLinearGradient(0, h, 0, 0);
  fill.addColorStop(0, 'rgba(126, 156, 255, 0.25)');
  fill.addColorStop(0.6, 'rgba(160, 132, 255, 0.55)');
  fill.addColorStop(1, 'rgba(245, 190, 255, 0.85)');
  g.fillStyle = fill;
  const active = audio && player;
  if (active) {
    if (!freq || freq.length !== audio.analyser.frequencyBinCount) freq = new Uint8Array(audio.analyser.frequencyBinCount);
    audio.analyser.getByteFrequencyData(freq);
  }
  const nyquist = audio ? audio.ctx.sampleRate / 2 : SAMPLE_RATE / 2;
  const lo = Math.log(40);
  const hi = Math.log(16000);
  for (let b = 0; b < bars; b++) {
    let v = 0;
    if (active) {
      // Log-spaced bands from 40 Hz to 16 kHz: the ear's spacing, not the FFT's.
      const f0 = Math.exp(lo + ((hi - lo) * b) / bars);
      const f1 = Math.exp(lo + ((hi - lo) * (b + 1)) / bars);
      const i0 = Math.floor((f0 / nyquist) * freq.length);
      const i1 = Math.max(i0 + 1, Math.ceil((f1 / nyquist) * freq.length));
      for (let i = i0; i < i1 && i < freq.length; i++) v = Math.max(v, freq[i]);
      v /= 255;
    }
    const barHeight = Math.max(2, v * v * (h - 6));
    const x = b * (barWidth + gap) + gap / 2;
    g.beginPath();
    g.roundRect(x, h - barHeight, barWidth, barHeight, Math.max(0, Math.min(barWidth / 2, 4)));
    g.fill();
  }
  // Level line: RMS in dBFS from -60 to 0, with a slow-falling peak.
  const rms = active ? stats.outputRms : 0;
  const level = rms > 0 ? Math.max(0, 1 + (20 * Math.log10(rms)) / 60) : 0;
  peakLevel = Math.max(level, peakLevel - 0.005);
  g.fillStyle = 'rgba(255, 255, 255, 0.12)';
  g.fillRect(0, 0, w, 4);
  g.fillStyle = 'rgba(180, 230, 220, 0.85)';
  g.fillRect(0, 0, w * level, 4);
  g.fillStyle = 'rgba(255, 255, 255, 0.8)';
  g.fillRect(Math.max(0, w * peakLevel - 2), 0, 2, 4);
}

function renderStats() {
  const on = !!player || stats.state === 'stopped' || stats.state === 'error' || stats.state === 'ended';
  const dash = '—';
  const fallback = stats.mode === 'fallback';
  $('st-mode').textContent = stats.mode ? (fallback ? 'audio element (fallback)' : 'WebCodecs') : dash;
  $('st-buffered').textContent = player && !fallback ? `${stats.bufferedMs} ms` : dash;
  $('st-underruns').textContent = on && stats.mode ? String(stats.underruns) : dash;
  $('st-decoded').textContent = on && !fallback && stats.mode ? stats.decodedFrames.toLocaleString('en') : dash;
  $('st-gaps').textContent =
    on && !fallback && stats.mode
      ? `${stats.sequenceGaps}${stats.skippedPackets ? ` (${stats.skippedPackets} packets)` : ''}`
      : dash;
  const db = stats.rms > 0 ? 20 * Math.log10(stats.rms) : -Infinity;
  $('st-level').textContent = player && Number.isFinite(db) ? `${db.toFixed(1)} dBFS` : dash;
}

// ---------------------------------------------------------------------------------------------
// Start-up

function init() {
  wireParamControls();
  $('session').addEventListener('change', () => onSessionSelected());
  $('refresh').addEventListener('click', () => loadSessions());
  $('create-form').addEventListener('submit', createSession);
  $('token-form').addEventListener('submit', saveToken);
  $('new-session').addEventListener('click', () => setDrafting(true));
  $('create-cancel').addEventListener('click', () => {
    setDrafting(false);
    onSessionSelected();
  });
  $('play').addEventListener('click', onPlayClick);
  $('stop').addEventListener('click', () => stopPlayback('Stopped.'));
  $('volume').addEventListener('input', () => {
    const v = Number($('volume').value);
    if (audio) audio.gain.gain.setTargetAtTime(v, audio.ctx.currentTime, 0.02);
    if (!audio || !audio.mediaSource) $('fallback-audio').volume = v;
  });
  setInterval(() => {
    measureOutput();
    renderStats();
  }, 200);
  requestAnimationFrame(draw);
  loadSessions();
}

init();
