// What the page knows: playback statistics, what is playing, the selected session's parameters;
// and the read-only view of them that tests read (window.auralisPlayer).

// Per playback: back to these at every Play and session switch.
const freshPlayback = () => ({
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
  marginMs: null, // the ring's jitter margin now (jitter-margin.js)
  splicedMs: 0, // audio cut out to keep to the margin: a join burst's excess, later pile-ups
  splices: 0, // cuts while playing, each cross-faded
  sequenceGaps: 0, // binary messages whose first_packet was not the expected one
  skippedPackets: 0, // packets missing across those gaps
  decodeErrors: 0,
  reconnects: 0, // the stream connection dropped and was opened again
  timeToFirstAudioMs: null, // Play click -> first output (prebuffer filled / 'playing')
  fallbackCurrentTime: 0,
  startup: {}, // ms after the Play click: worklet, open, hello, firstMessage, firstDecoded, firstAudio
  playingAtS: null, // the stream position playing now (s, as a change's at_s); null: unknown
  outputLatencyMs: null, // the AudioContext's output latency, where the browser tells it
  // Controls changed while playing (heard.js): {id, field, inputAt, kind, atS, placedMs,
  // heardMs (input -> this page plays at_s, output latency included), heard, ...}
  changes: [],
  lastHeardMs: null,
  lastError: null,
});

export const stats = {
  state: 'idle', // idle | connecting | buffering | playing | reconnecting | stopped | ended | error
  mode: null, // 'webcodecs' | 'fallback' once Play was pressed
  format: null, // what plays: 'websocket' (WebCodecs), else the <audio> format: 'ogg' | 'hls' | 'mp3' 
  sessionId: null,
  ...freshPlayback(),
};

/** A new playback of sessionId starts: its counters from zero. */
export function resetPlayback(sessionId) {
  Object.assign(stats, freshPlayback(), { sessionId });
}

export const nowPlaying = { phrase: null, key: null, mode: null, tempo_bpm: null, chord: null, bar: null, engine: null };

let params = null; // the selected session's parameters, as the server last sent them
export const currentParams = () => params;
export function setCurrentParams(value) {
  params = value;
}

/** window.auralisPlayer: copies of the state above, never a way to change it. */
export function exposeTestHooks() {
  const hooks = {};
  const copy = (v) => (v && typeof v === 'object' ? structuredClone(v) : v);
  for (const name of Object.keys(stats)) {
    Object.defineProperty(hooks, name, { get: () => copy(stats[name]), enumerable: true });
  }
  Object.defineProperty(hooks, 'nowPlaying', { get: () => ({ ...nowPlaying }), enumerable: true });
  Object.defineProperty(hooks, 'params', { get: () => copy(params), enumerable: true });
  Object.freeze(hooks);
  Object.defineProperty(window, 'auralisPlayer', { value: hooks, enumerable: true });
}
