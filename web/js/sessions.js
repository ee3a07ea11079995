// Sessions: the list and the selected one (kept in the URL's #session=), creating a session from
// the parameter controls, sending a changed parameter, and the API token form.
import * as api from './api.js';
import { changeSent } from './heard.js';
import { playingSessionId, switchTo } from './player.js';
import { currentParams } from './state.js';
import {
  $,
  clearAllErrors,
  clearFieldError,
  paramsFromControls,
  resetNowPlaying,
  selectedSessionId,
  setStatus,
  showFieldError,
  showParams,
  updateNowPlaying,
} from './ui.js';

let drafting = false; // the parameter controls describe a session not created yet

export function setDrafting(on) {
  drafting = on;
  $('create-form').hidden = !on;
  $('new-session').disabled = on;
  $('params-hint').textContent = on
    ? 'These parameters are for the new session.'
    : 'Brightness and switching a layer off are heard at once; key, mode, tempo, energy, density and switching a layer on from the next bar.';
  clearAllErrors();
  if (on) $('new-name').focus();
}

export async function loadSessions(preferId) {
  const select = $('session');
  let list;
  try {
    list = await api.listSessions();
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

export async function onSessionSelected() {
  const id = selectedSessionId();
  const playing = playingSessionId();
  $('play').disabled = !id || playing !== null;
  if (drafting) setDrafting(false);
  clearAllErrors();
  if (playing === null || playing !== id) resetNowPlaying();
  if (!id) {
    $('open-link').hidden = true;
    return;
  }
  history.replaceState(null, '', `#session=${encodeURIComponent(id)}`);
  const link = $('open-link');
  link.href = `/stream/${encodeURIComponent(id)}.ogg`;
  link.hidden = false;
  try {
    const s = await api.getSession(id);
    showParams(s.params);
    if (s.now_playing && playingSessionId() !== id) updateNowPlaying(s.now_playing);
  } catch (err) {
    $('session-error').textContent = err.message;
  }
  // Switch what is playing; the AudioContext made in the first click is reused.
  const now = playingSessionId();
  if (now !== null && now !== id) await switchTo(id);
}

export async function createSession(event) {
  event.preventDefault();
  clearFieldError('name');
  clearFieldError('session');
  const body = paramsFromControls();
  const name = $('new-name').value.trim();
  if (name) body.name = name;
  const button = $('create-button');
  button.disabled = true;
  try {
    const created = await api.createSession(body);
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

/** A parameter control changed at inputAt (page ms): PATCH the selected session (a draft only
 *  prepares a new one). */
export async function patchParam(field, body, inputAt) {
  const id = selectedSessionId();
  clearFieldError(field);
  if (!id || drafting) return;
  try {
    const resource = await api.patchSession(id, body);
    if (resource && resource.params) showParams(resource.params);
    // `change`: the id of its change events on the stream (0: the sound did not change).
    if (resource && resource.change > 0 && playingSessionId() === id) changeSent(resource.change, field, inputAt);
  } catch (err) {
    if (!err.field) err.field = field;
    showFieldError(err);
    if (currentParams()) showParams(currentParams()); // back to what the server has
  }
}

export function saveToken(event) {
  event.preventDefault();
  const token = $('api-token').value.trim();
  api.setToken(token);
  $('token-form').hidden = true;
  clearAllErrors();
  setStatus(token ? 'Token saved: try the change again.' : 'Token cleared.');
}
