// Fallback playback (no secure context, or no WebCodecs): the <audio> element on the stream
// format the browser takes (formats.js: Ogg Opus, native HLS or MP3), routed through the shared
// audio graph for volume and meter; now playing is polled from the REST resource.
import { getSession } from './api.js';
import { FALLBACK_MAX_RETRIES, FALLBACK_POLL_MS } from './constants.js';
import { stats } from './state.js';
import { $, setStatus, showParams, slidersHeld, updateNowPlaying } from './ui.js';

export class FallbackPlayback {
  /** graph: the shared audio graph; host: {error(status), ended(status)} stop the playback and
   *  show status (ended: the session is gone). */
  constructor(sessionId, clickedAt, graph, host, source) {
    this.sessionId = sessionId;
    this.source = source; // formats.js: {format, label, path, live}
    this.clickedAt = clickedAt;
    this.graph = graph;
    this.host = host;
    this.stopped = false;
    this.el = $('fallback-audio');
    this.url = source.path(encodeURIComponent(sessionId));
    this.poll = null;
    this.playedOnce = false;
    this.handlers = {};
    this.retries = 0;
    this.retryTimer = null;
  }

  start() {
    const el = this.el;
    $('stream-link').href = this.url;
    $('stream-link').textContent = `${this.source.label} stream`;
    $('fallback-notice').hidden = false;
    const graph = this.graph;
    if (!graph.mediaSource) {
      try {
        graph.mediaSource = graph.ctx.createMediaElementSource(el); // volume and meter in the graph
        graph.mediaSource.connect(graph.gain);
      } catch {
        graph.mediaSource = null;
      }
    }
    el.volume = graph.mediaSource ? 1 : Number($('volume').value);
    this.handlers = {
      playing: () => {
        this.retries = 0;
        if (!this.playedOnce) {
          this.playedOnce = true;
          stats.prebuffered = true;
          stats.timeToFirstAudioMs = Math.round(performance.now() - this.clickedAt);
        }
        stats.state = 'playing';
        setStatus(`Playing (audio element: ${this.source.label}).`);
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
    this.load();
    this.poll = setInterval(() => this.refresh(), FALLBACK_POLL_MS);
    this.refresh();
  }

  load() {
    // A live mount: a fresh connection, never a cached one. HLS: the playlist as caches have it.
    this.el.src = this.source.live ? `${this.url}?t=${Date.now()}` : this.url;
    this.el.play().catch((e) => {
      if (!this.stopped && e.name === 'NotAllowedError') this.host.error(`Playback was refused: ${e.message}`);
    });
  }

  retry(reason) {
    if (this.stopped || this.retryTimer) return;
    stats.lastError = reason;
    if (++this.retries > FALLBACK_MAX_RETRIES) {
      this.host.error(`Playback failed: ${reason}`);
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
      const s = await getSession(this.sessionId);
      if (this.stopped) return;
      if (s.now_playing) updateNowPlaying(s.now_playing);
      if (s.params && !slidersHeld()) showParams(s.params);
    } catch (err) {
      if (err.status === 404 && !this.stopped) this.host.ended('Session ended: it no longer exists.');
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
