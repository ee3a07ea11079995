// Auralis web player, the entry module: picks or creates a session, edits its parameters, shows
// what is playing and plays it live. Low-latency path: WebSocket /ws/{id} -> WebCodecs
// AudioDecoder (stream worker) -> AudioWorklet ring buffer -> gain -> analyser -> speakers.
// Fallback (no secure context or no WebCodecs): <audio> on Ogg Opus, else native HLS, else MP3
// (formats.js). The system's media controls show what plays and play/stop (media-session.js).
// Wire formats: docs/stream-protocol.md. Test hooks: window.auralisPlayer (read-only).
import { whenUnauthorized } from './api.js';
import { UI_REFRESH_MS } from './constants.js';
import { wireMediaSession } from './media-session.js';
import { measureOutput, startSpectrum } from './meter.js';
import { play, playingGraph, playingSessionId, setVolume, stop, whenSessionGone } from './player.js';
import { createSession, loadSessions, onSessionSelected, patchParam, saveToken, setDrafting } from './sessions.js';
import { exposeTestHooks } from './state.js';
import { $, renderStats, selectedSessionId, wireParamControls } from './ui.js';

exposeTestHooks();
whenUnauthorized(() => ($('token-form').hidden = false));
whenSessionGone(() => loadSessions());

wireParamControls(patchParam);
$('session').addEventListener('change', () => onSessionSelected());
$('refresh').addEventListener('click', () => loadSessions());
$('create-form').addEventListener('submit', createSession);
$('token-form').addEventListener('submit', saveToken);
$('new-session').addEventListener('click', () => setDrafting(true));
$('create-cancel').addEventListener('click', () => {
  setDrafting(false);
  onSessionSelected();
});
$('play').addEventListener('click', () => {
  const id = selectedSessionId();
  if (id) play(id);
});
$('stop').addEventListener('click', () => stop('Stopped.'));
wireMediaSession({
  play: () => {
    const id = selectedSessionId();
    if (id && !playingSessionId()) play(id);
  },
  stop: () => {
    if (playingSessionId()) stop('Stopped.');
  },
});
$('volume').addEventListener('input', () => setVolume(Number($('volume').value)));

setInterval(() => {
  measureOutput(playingGraph());
  renderStats(playingSessionId() !== null);
}, UI_REFRESH_MS);
startSpectrum($('spectrum'), playingGraph);
loadSessions();
