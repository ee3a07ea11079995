// How much audio the ring keeps: the page's jitter margin, and so its latency. The server sends
// audio in batches (stream.fanout_ms) and a new listener a burst of the recent past
// (stream.burst_ms); kept whole, that burst becomes the latency of every slider move. The ring
// instead keeps `margin` frames at its low water (just before a batch lands): audio beyond it is
// spliced out, the margin grows after an underrun and shrinks back, a step at a time, while the
// low water stays well clear of empty. Pure logic in frames, used by the worklet (worklet.js).
import {
  BATCH_ALLOWANCE_MS,
  LOW_WATER_WINDOW_MS,
  MARGIN_DECAY_EVERY_MS,
  MARGIN_DECAY_MS,
  MARGIN_MS,
  MARGIN_STEP_MS,
  MAX_MARGIN_MS,
  MIN_SLACK_MS,
  SPLICE_MIN_MS,
} from './constants.js';

export class JitterMargin {
  constructor(sampleRate) {
    const frames = (ms) => Math.round((sampleRate * ms) / 1000);
    this.floor = frames(MARGIN_MS);
    this.max = frames(MAX_MARGIN_MS);
    this.step = frames(MARGIN_STEP_MS);
    this.decay = frames(MARGIN_DECAY_MS);
    this.decayEvery = frames(MARGIN_DECAY_EVERY_MS);
    this.minSlack = frames(MIN_SLACK_MS);
    this.window = frames(LOW_WATER_WINDOW_MS);
    this.spliceMin = frames(SPLICE_MIN_MS);
    this.batch = frames(BATCH_ALLOWANCE_MS);
    this.margin = this.floor;
    this.restartWindows();
  }

  restartWindows() {
    this.lowWater = Infinity; // the least queued over this window
    this.inWindow = 0;
    this.worst = Infinity; // the least queued since the margin last changed
    this.sinceChange = 0;
  }

  /** Frames to drop from the oldest queued as the output (re)starts with `queued` frames: the
   *  margin and one batch stay. Silent, since nothing plays yet. */
  startTrim(queued) {
    return Math.max(0, queued - this.margin - this.batch);
  }

  /** The output starved: keep more from now on. */
  underrun() {
    this.margin = Math.min(this.max, this.margin + this.step);
    this.restartWindows();
  }

  /** A quantum of n frames played and left `queued` in the ring. Returns the frames to splice
   *  out now (the excess over the margin at this window's low water), most of the time 0. */
  played(n, queued) {
    this.lowWater = Math.min(this.lowWater, queued);
    this.worst = Math.min(this.worst, queued);
    this.inWindow += n;
    this.sinceChange += n;
    if (this.sinceChange >= this.decayEvery) {
      // The low water never came near empty for a while: a smaller margin still leaves slack.
      if (this.margin > this.floor && this.worst - this.decay >= this.minSlack) {
        this.margin = Math.max(this.floor, this.margin - this.decay);
      }
      this.worst = Infinity;
      this.sinceChange = 0;
    }
    if (this.inWindow < this.window) return 0;
    const excess = this.lowWater - this.margin;
    this.lowWater = Infinity;
    this.inWindow = 0;
    return excess >= this.spliceMin ? excess : 0;
  }
}
