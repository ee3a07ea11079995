// The meter: live spectrum and level on the canvas, and the output RMS behind the level readout,
// both read from the audio graph's analyser after the volume.
import { stats } from './state.js';
import { $ } from './ui.js';

let wave = null;
let freq = null;
let peakLevel = 0;

/** graph: the audio graph while something plays, else null. */
export function measureOutput(graph) {
  if (!graph) {
    stats.outputRms = 0;
    return;
  }
  if (!wave || wave.length !== graph.analyser.fftSize) wave = new Float32Array(graph.analyser.fftSize);
  graph.analyser.getFloatTimeDomainData(wave);
  let sum = 0;
  for (let i = 0; i < wave.length; i++) sum += wave[i] * wave[i];
  stats.outputRms = Math.sqrt(sum / wave.length);
  if (stats.mode === 'fallback') {
    // No decoder to measure: the level before the volume, from the analyser.
    const v = Number($('volume').value);
    stats.rms = v > 0 && graph.mediaSource ? stats.outputRms / v : stats.rms;
  }
}

function resizeCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const h = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
}

function drawFrame(canvas, g, graph) {
  resizeCanvas(canvas);
  const w = canvas.width;
  const h = canvas.height;
  g.clearRect(0, 0, w, h);
  if (w < 48 || h < 8) return; // hidden or collapsed
  const bars = Math.max(24, Math.min(96, Math.floor(w / 10)));
  const gap = Math.max(1, Math.round(w / bars / 5));
  const barWidth = w / bars - gap;
  const fill = g.createLinearGradient(0, h, 0, 0);
  fill.addColorStop(0, 'rgba(126, 156, 255, 0.25)');
  fill.addColorStop(0.6, 'rgba(160, 132, 255, 0.55)');
  fill.addColorStop(1, 'rgba(245, 190, 255, 0.85)');
  g.fillStyle = fill;
  if (graph) {
    if (!freq || freq.length !== graph.analyser.frequencyBinCount) freq = new Uint8Array(graph.analyser.frequencyBinCount);
    graph.analyser.getByteFrequencyData(freq);
  }
  const nyquist = graph ? graph.ctx.sampleRate / 2 : 0;
  const lo = Math.log(40);
  const hi = Math.log(16000);
  for (let b = 0; b < bars; b++) {
    let v = 0;
    if (graph) {
      // Log-spaced bands from 40 Hz to 16 kHz: the ear's spacing, not the FFT's.
      const f0 = Math.exp(lo + ((hi - lo) * b) / bars);
      const f1 = Math.exp(lo + ((hi - lo) * (b + 1)) / bars);
      const i0 = Math.floor((f0 / nyquist) * freq.length);
      const i1 = Math.max(i0 + 1, Math.ceil((f1 / nyquist) * freq.length));
      for (let i = i0; i < i1 && i < freq.length; i++) v = Math.max(v, freq[i]);
      v /= 255;
    }
    const barHeight = Math.max(2, v * v * (h - 6));
    const x = b * (barWidth + gap) + gap / 2;
    g.beginPath();
    g.roundRect(x, h - barHeight, barWidth, barHeight, Math.max(0, Math.min(barWidth / 2, 4)));
    g.fill();
  }
  // Level line: RMS in dBFS from -60 to 0, with a slow-falling peak.
  const rms = graph ? stats.outputRms : 0;
  const level = rms > 0 ? Math.max(0, 1 + (20 * Math.log10(rms)) / 60) : 0;
  peakLevel = Math.max(level, peakLevel - 0.005);
  g.fillStyle = 'rgba(255, 255, 255, 0.12)';
  g.fillRect(0, 0, w, 4);
  g.fillStyle = 'rgba(180, 230, 220, 0.85)';
  g.fillRect(0, 0, w * level, 4);
  g.fillStyle = 'rgba(255, 255, 255, 0.8)';
  g.fillRect(Math.max(0, w * peakLevel - 2), 0, 2, 4);
}

/** Draws every animation frame; graph() gives the playing audio graph or null. */
export function startSpectrum(canvas, graph) {
  const g = canvas.getContext('2d');
  const draw = () => {
    try {
      drawFrame(canvas, g, graph());
    } finally {
      requestAnimationFrame(draw);
    }
  };
  requestAnimationFrame(draw);
}
