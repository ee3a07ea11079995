// Play, Stop and session switches: owns the audio graph (source -> gain (volume) -> analyser ->
// speakers) and the one playback at a time, WebCodecs when the browser can, else <audio>.
import { SAMPLE_RATE } from './constants.js';
import { FallbackPlayback } from './fallback-playback.js';
import { chooseElementFormat } from './formats.js';
import { changePlaced, setPositionClock } from './heard.js';
import { setMediaSessionState } from './media-session.js';
import { nowPlaying, resetPlayback, stats } from './state.js';
import { $, selectedSessionId, setStatus, showChange, showParams, updateNowPlaying } from './ui.js';
import { WebCodecsPlayback } from './webcodecs-playback.js';

let graph = null; // {ctx, gain, analyser, workletReady, mediaSource}, made at the first Play
let player = null; // the playback in progress
let sessionGone = () => {};

/** fn() runs when the playing session ended on the server: the page lists sessions again. */
export function whenSessionGone(fn) {
  sessionGone = fn;
}

export const playingSessionId = () => (player ? player.sessionId : null);

/** The audio graph while something plays (for the meter), else null. */
export const playingGraph = () => (player ? graph : null);

function createAudioGraph() {
  let ctx;
  try {
    // 'balanced': Chromium's output adds ~30 ms here, against ~85 ms with 'playback', a third of
    // the time a slider move takes to be heard; 'interactive' would wake the audio thread more.
    ctx = new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: 'balanced' });
  } catch {
    ctx = new AudioContext(); // not at 48 kHz: the <audio> path, which resamples, plays
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

export function setVolume(v) {
  if (graph) graph.gain.gain.setTargetAtTime(v, graph.ctx.currentTime, 0.02);
  if (!graph || !graph.mediaSource) $('fallback-audio').volume = v;
}

// What the playbacks report back.
const host = {
  event: onStreamEvent,
  error: (status) => stop(status, 'error'),
  ended(status) {
    stop(status, 'ended');
    sessionGone();
  },
};

function onStreamEvent(msg) {
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
    case 'change_scheduled':
      showChange(msg);
      changePlaced(msg);
      break;
    case 'change_applied':
      showChange(msg);
      break;
    case 'end':
      host.ended(`Session ended: ${msg.reason || 'closed by the server'}.`);
      break;
    default:
      break; // unknown events are ignored: the protocol may grow
  }
}

function showPlaying() {
  $('stop').disabled = false;
  $('play').disabled = true;
}

// The <audio> element starts at once, so that a click's user gesture is still fresh.
function startFallback(sessionId, clickedAt) {
  resetPlayback(sessionId);
  setPositionClock(null); // the <audio> element does not say which stream position it plays
  const source = chooseElementFormat($('fallback-audio'));
  stats.mode = 'fallback';
  stats.format = source.format;
  stats.state = 'connecting';
  setStatus(`Connecting (audio element: ${source.label})…`);
  player = new FallbackPlayback(sessionId, clickedAt, graph, host, source);
  setMediaSessionState('playing');
  showPlaying();
  player.start();
}

async function startChosen(sessionId, clickedAt) {
  resetPlayback(sessionId);
  stats.state = 'connecting';
  setStatus('Connecting…');
  const useWebCodecs = await WebCodecsPlayback.supported(graph);
  stats.mode = useWebCodecs ? 'webcodecs' : 'fallback';
  $('fallback-notice').hidden = useWebCodecs;
  if (useWebCodecs) {
    stats.format = 'websocket';
    player = new WebCodecsPlayback(sessionId, clickedAt, graph, host);
  } else {
    const source = chooseElementFormat($('fallback-audio'));
    stats.format = source.format;
    player = new FallbackPlayback(sessionId, clickedAt, graph, host, source);
  }
  setPositionClock(useWebCodecs ? player : null);
  setMediaSessionState('playing');
  showPlaying();
  try {
    await player.start();
    if (stats.state === 'connecting') stats.state = 'buffering';
  } catch (e) {
    stop(`Playback failed: ${e.message}`, 'error');
  }
}

/** The Play button: the AudioContext is made (or resumed) here, inside the user gesture. */
export function play(sessionId) {
  const clickedAt = performance.now();
  if (!graph) graph = createAudioGraph();
  if (graph.ctx.state !== 'running') graph.ctx.resume();
  if (!WebCodecsPlayback.available(graph)) {
    startFallback(sessionId, clickedAt);
    return;
  }
  $('play').disabled = true; // until the path is chosen: no second click meanwhile
  startChosen(sessionId, clickedAt);
}

export function stop(status, state = 'stopped') {
  if (player) {
    player.stop();
    player = null;
  }
  setPositionClock(null);
  stats.state = state;
  stats.bufferedMs = 0;
  setMediaSessionState('paused');
  $('play').disabled = !selectedSessionId();
  $('stop').disabled = true;
  setStatus(status || 'Stopped.');
}

/** Another session was selected while playing: play it on the same path and AudioContext. */
export async function switchTo(sessionId) {
  const fallback = stats.mode === 'fallback';
  stop('Switching session…', 'connecting');
  if (fallback) startFallback(sessionId, performance.now());
  else await startChosen(sessionId, performance.now());
}
