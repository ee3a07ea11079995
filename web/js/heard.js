// PATCH -> heard, measured by this page: from the user's input on a control to the moment this
// page's own playback plays the stream position where the server placed the change (the
// change_scheduled event's at_s), output latency included. The PATCH answers with the change's
// id, and the stream's change events carry the same id. Where the page cannot know which stream
// position it plays (the <audio> element), it says so, never a figure.
import { NUMBER_FIELDS, SAMPLE_RATE } from './constants.js';
import { stats } from './state.js';
import { forgetHeard, showHeard } from './ui.js';

const KEEP_RECORDS = 50; // stats.changes keeps the newest ones
const KEEP_EARLY = 16; // change_scheduled events that came before their PATCH's answer

// The playing playback's clock: watch(frame, onReached(heard)) calls onReached with {at (page
// ms when the frame leaves the speakers), graphAt (when it passes the audio graph),
// outputLatencyMs, how (where the latency came from), passed}; null: positions unknown.
let clock = null;
const sent = new Map(); // change id -> record, waiting for its change_scheduled
const early = new Map(); // change id -> change_scheduled message

/** A new playback (or none): changes in flight belong to the old one. */
export function setPositionClock(next) {
  clock = next;
  sent.clear();
  early.clear();
  forgetHeard();
}

const FIELD_NAMES = { tempo_bpm: 'Tempo', energy: 'Energy', brightness: 'Brightness', density: 'Density', key: 'Key', mode: 'Mode' };

function describe(field) {
  if (field.startsWith('layers.')) return { label: `The ${field.slice(7)} layer`, verb: 'switched' };
  return { label: FIELD_NAMES[field] || field, verb: NUMBER_FIELDS.includes(field) ? 'moved' : 'chose' };
}

/** The PATCH for a control's change answered with change id `change`; inputAt: page ms. */
export function changeSent(change, field, inputAt) {
  const record = { id: change, field, inputAt, kind: null, atS: null, placedMs: null, heardMs: null, outputLatencyMs: null };
  stats.changes.push(record);
  if (stats.changes.length > KEEP_RECORDS) stats.changes.shift();
  if (!clock) {
    // The <audio> element gets no change events and does not say which position it plays.
    record.heard = false;
    const { label } = describe(field);
    showHeard(change, `${label} changed; this player (audio element) cannot tell when you hear it.`);
    return;
  }
  const msg = early.get(change) || laterPlaced(change);
  if (msg) place(record, msg);
  else sent.set(change, record);
}

// A newer change placed while this one rendered replaced it (the server renders the newest
// parameters only): this input is heard with that one.
function laterPlaced(change) {
  let best = null;
  for (const [id, msg] of early) if (id > change && (!best || id < best.id)) best = msg;
  return best;
}

/** A change_scheduled event of the playing session's stream. */
export function changePlaced(msg) {
  if (typeof msg.id !== 'number' || typeof msg.at_s !== 'number') return;
  for (const [id, record] of sent) {
    if (id > msg.id) continue;
    sent.delete(id);
    place(record, msg);
  }
  early.set(msg.id, msg);
  if (early.size > KEEP_EARLY) early.delete(early.keys().next().value);
}

function place(record, msg) {
  record.kind = msg.kind;
  record.atS = msg.at_s;
  record.placedMs = Math.round(performance.now() - record.inputAt);
  if (msg.id !== record.id) record.heardWith = msg.id;
  const { label, verb } = describe(record.field);
  clock.watch(Math.round(msg.at_s * SAMPLE_RATE), (heard) => {
    record.heard = true;
    record.heardMs = Math.round(heard.at - record.inputAt);
    record.graphMs = Math.round(heard.graphAt - record.inputAt); // through the page's audio graph
    record.outputLatencyMs = heard.outputLatencyMs;
    record.latencyFrom = heard.how;
    record.passed = heard.passed;
    stats.lastHeardMs = record.heardMs;
    showHeard(record.id, `${label} heard ${record.heardMs} ms after you ${verb} it (at ${msg.at_s.toFixed(2)} s of the stream).`);
  });
}
