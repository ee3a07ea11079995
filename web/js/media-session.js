// The operating system's media controls (lock screen, headset buttons, notification): what
// plays (key, mode, chord, session) and Play/Stop, through the Media Session API where the
// browser has it. <audio> players cannot show ICY titles: this is the page's way to.
import { nowPlaying } from './state.js';

const session = () => ('mediaSession' in navigator ? navigator.mediaSession : null);

/** play() and stop() back the system's play, pause and stop buttons. */
export function wireMediaSession({ play, stop }) {
  const ms = session();
  if (!ms) return;
  const handlers = { play, pause: stop, stop };
  for (const [action, fn] of Object.entries(handlers)) {
    try {
      ms.setActionHandler(action, () => fn());
    } catch {
      // an action this browser does not know
    }
  }
}

/** Title from what plays now; `sessionName`: the album line. */
export function showInMediaSession(sessionName) {
  const ms = session();
  if (!ms || typeof window.MediaMetadata !== 'function') return;
  const parts = [];
  if (nowPlaying.key) parts.push(`${nowPlaying.key} ${nowPlaying.mode ?? ''}`.trim());
  if (nowPlaying.chord) parts.push(nowPlaying.chord);
  const title = parts.length ? parts.join(' · ') : 'Auralis';
  const current = ms.metadata;
  if (current && current.title === title && current.album === sessionName) return;
  ms.metadata = new MediaMetadata({ title, artist: 'Auralis', album: sessionName || '' });
}

/** 'playing', 'paused' or 'none', as the page's state is. */
export function setMediaSessionState(state) {
  const ms = session();
  if (ms) ms.playbackState = state;
}
