// Every number and name the player's modules share, in one place: the page, the stream worker
// and the AudioWorklet all import this file. Wire formats: docs/stream-protocol.md.

// REST API
export const SESSIONS_PATH = '/api/v1/sessions';
export const TOKEN_STORAGE_KEY = 'auralis.apiToken'; // localStorage: bearer token for writes
export const LAYERS = ['pad', 'lead', 'bass', 'texture', 'percussion'];
export const NUMBER_FIELDS = ['tempo_bpm', 'energy', 'brightness', 'density'];

// The stream: Opus at 48 kHz, stereo, 20 ms packets
export const SAMPLE_RATE = 48000;
export const CHANNELS = 2;
export const FRAMES_PER_PACKET = 960;
export const DEFAULT_PRE_SKIP = 312; // libopus at 48 kHz, when the hello does not say
export const AUDIO_MAGIC = [0x41, 0x55, 0x4f, 0x31]; // "AUO1": a binary message of packets
export const AUDIO_HEADER_BYTES = 22; // magic, first_packet, granule, count

// Stream engine (WebSocket + decoder)
export const RECONNECT_MS = [500, 1000, 2000, 4000]; // back-off after a dropped connection
export const MAX_DECODE_QUEUE = 50; // packets; beyond it the decoder is far behind: drop input
export const RMS_WINDOW_S = 0.5; // the "recent" decoded level
export const ENGINE_STATS_MS = 200;

// Ring buffer (AudioWorklet)
export const RING_PROCESSOR = 'auralis-ring'; // registered name
export const PREBUFFER_MS = 120; // output starts once this much audio is queued
export const RING_MS = 1500; // capacity; the oldest audio is dropped beyond it
export const BACKLOG_START_FACTOR = 2.5; // start with a decode backlog at this many prebuffers
export const WORKLET_STATS_MS = 100;

// Jitter margin (jitter-margin.js): what the ring keeps at its low water, just before a batch
export const MARGIN_MS = 120; // to begin with, and the least it shrinks back to
export const MARGIN_STEP_MS = 100; // more after each underrun
export const MAX_MARGIN_MS = 1000;
export const MARGIN_DECAY_MS = 20; // less, when for a whole period the low water ...
export const MARGIN_DECAY_EVERY_MS = 60_000;
export const MIN_SLACK_MS = 40; // ... stayed this far above empty with that much less
export const LOW_WATER_WINDOW_MS = 2000; // the low water is the least queued over this window
export const SPLICE_MIN_MS = 30; // excess below this stays
export const BATCH_ALLOWANCE_MS = 100; // the server's stream.fanout_ms: kept on top at a start
export const SPLICE_FADE_MS = 10; // a splice cross-fades the audio before and after the cut
export const SPLICE_SEARCH_MS = 5; // and moves the cut this far to where the two match best

// Page
export const FALLBACK_POLL_MS = 2000; // now-playing poll while the <audio> element plays
export const FALLBACK_MAX_RETRIES = 5; // reconnects of the <audio> element before giving up
export const UI_REFRESH_MS = 200; // stats readout and output level
