// The page's controls and readouts: status line, field errors, the parameter sliders and
// selects, now playing, the stream statistics. Reads and writes the DOM; decides nothing.
import { LAYERS, NUMBER_FIELDS } from './constants.js';
import { ELEMENT_FORMATS } from './formats.js';
import { showInMediaSession } from './media-session.js';
import { nowPlaying, setCurrentParams, stats } from './state.js';

export const $ = (id) => document.getElementById(id);
const DASH = '—';

export function setStatus(text) {
  $('status').textContent = text;
}

export const selectedSessionId = () => $('session').value || null;

// ---------------------------------------------------------------------------------------------
// Field errors: an API error names a field ("tempo_bpm", "layers.pad", "name"); it shows next to it

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

export function showFieldError(err) {
  errorElementFor(err.field).textContent = err.message;
  const control = controlFor(err.field);
  if (control) control.setAttribute('aria-invalid', 'true');
}

export function clearFieldError(field) {
  errorElementFor(field).textContent = '';
  const control = controlFor(field);
  if (control) control.removeAttribute('aria-invalid');
}

export function clearAllErrors() {
  for (const el of document.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of document.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

// ---------------------------------------------------------------------------------------------
// Parameter controls

const held = new Set(); // sliders being dragged: incoming params do not move them
export const slidersHeld = () => held.size > 0;

function formatNumber(field, value) {
  return field === 'tempo_bpm' ? String(Math.round(value)) : Number(value).toFixed(2);
}

/** Shows the session's parameters (the server's key names are the selects' values: C, C#, ...). */
/**
 * A change event from the server: where on the stream a parameter change is heard
 * ("change_scheduled"), and when playback got there ("change_applied"). `at_s` is seconds of
 * audio since the stream began.
 */
export function showChange(msg) {
  if (typeof msg.at_s !== 'number') return;
  const status = $('change-status');
  if (status.dataset.heard && Number(status.dataset.heard) >= msg.id) return; // heard says more
  const what = msg.kind === 'musical' ? 'from the next bar' : 'sound';
  status.textContent =
    msg.type === 'change_applied'
      ? `Change ${msg.id} left the server (${what}, at ${msg.at_s.toFixed(2)} s of the stream).`
      : `Change ${msg.id} placed at ${msg.at_s.toFixed(2)} s of the stream (${what}).`;
  status.dataset.applied = msg.type === 'change_applied' ? String(msg.id) : '';
}

/** A new playback: change ids start again (they count per session). */
export function forgetHeard() {
  delete $('change-status').dataset.heard;
}

/** What this page measured for change `id` (heard.js): heard after the input, or only placed. */
export function showHeard(id, text) {
  const status = $('change-status');
  status.textContent = text;
  status.dataset.heard = String(id);
}

export function showParams(params) {
  if (!params) return;
  setCurrentParams(params);
  if (typeof params.key === 'string') $('key').value = params.key;
  if (typeof params.mode === 'string') $('mode').value = params.mode;
  for (const f of NUMBER_FIELDS) {
    if (typeof params[f] === 'number' && !held.has(f)) {
      $(f).value = String(params[f]);
      $(`${f}-out`).textContent = formatNumber(f, params[f]);
    }
  }
  if (params.layers) {
    for (const l of LAYERS) if (typeof params.layers[l] === 'boolean') $(`layer-${l}`).checked = params.layers[l];
  }
}

export function paramsFromControls() {
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

/** onChange(field, body, inputAt): a control was changed; body is the PATCH for it. */
export function wireParamControls(onChange) {
  for (const f of ['key', 'mode']) {
    $(f).addEventListener('change', (e) => onChange(f, { [f]: $(f).value }, e.timeStamp));
  }
  // inputAt (page ms): when the user set the value sent, the last 'input' of a slider's drag.
  const lastInput = {};
  for (const f of NUMBER_FIELDS) {
    const input = $(f);
    input.addEventListener('input', (e) => {
      held.add(f);
      lastInput[f] = e.timeStamp;
      $(`${f}-out`).textContent = formatNumber(f, input.value);
    });
    input.addEventListener('change', (e) => {
      held.delete(f);
      const inputAt = lastInput[f] ?? e.timeStamp;
      delete lastInput[f];
      onChange(f, { [f]: Number(input.value) }, inputAt);
    });
  }
  for (const l of LAYERS) {
    const box = $(`layer-${l}`);
    box.addEventListener('change', (e) => onChange(`layers.${l}`, { layers: { [l]: box.checked } }, e.timeStamp));
  }
  $('params-form').addEventListener('submit', (e) => e.preventDefault());
}

// ---------------------------------------------------------------------------------------------
// Now playing

export function resetNowPlaying() {
  for (const k of Object.keys(nowPlaying)) nowPlaying[k] = null;
  renderNowPlaying();
}

export function updateNowPlaying(update) {
  for (const k of Object.keys(nowPlaying)) if (update[k] !== undefined) nowPlaying[k] = update[k];
  renderNowPlaying();
}

function renderNowPlaying() {
  const option = $('session').selectedOptions[0];
  showInMediaSession(option ? option.textContent : '');
  $('np-key').textContent = nowPlaying.key ?? DASH;
  $('np-mode').textContent = nowPlaying.mode ?? DASH;
  $('np-tempo').textContent = nowPlaying.tempo_bpm != null ? `${Math.round(nowPlaying.tempo_bpm)} BPM` : DASH;
  $('np-phrase').textContent = nowPlaying.phrase ?? DASH;
  $('np-bar').textContent = nowPlaying.bar != null ? nowPlaying.bar + 1 : DASH;
  $('np-engine').textContent = nowPlaying.engine ?? DASH;
  $('np-chord').textContent = nowPlaying.chord ?? DASH;
}

// ---------------------------------------------------------------------------------------------
// Stream statistics

/** playing: a playback is active (its live figures show; the last run's counts stay after Stop). */
export function renderStats(playing) {
  const on = playing || stats.state === 'stopped' || stats.state === 'error' || stats.state === 'ended';
  const fallback = stats.mode === 'fallback';
  const detailed = on && !fallback && stats.mode;
  const element = ELEMENT_FORMATS.find((f) => f.format === stats.format);
  $('st-mode').textContent = stats.mode ? (fallback ? `audio element: ${element ? element.label : '?'}` : 'WebCodecs') : DASH;
  const margin = stats.marginMs === null ? '' : ` (margin ${stats.marginMs} ms)`;
  $('st-buffered').textContent = playing && !fallback ? `${stats.bufferedMs} ms${margin}` : DASH;
  $('st-underruns').textContent = on && stats.mode ? String(stats.underruns) : DASH;
  $('st-decoded').textContent = detailed ? stats.decodedFrames.toLocaleString('en') : DASH;
  $('st-gaps').textContent = detailed
    ? `${stats.sequenceGaps}${stats.skippedPackets ? ` (${stats.skippedPackets} packets)` : ''}`
    : DASH;
  const db = stats.rms > 0 ? 20 * Math.log10(stats.rms) : -Infinity;
  $('st-level').textContent = playing && Number.isFinite(db) ? `${db.toFixed(1)} dBFS` : DASH;
}
