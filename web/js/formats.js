// Which stream a browser without the WebCodecs path plays in its <audio> element, in order of
// preference: Ogg Opus (the daemon's own stream, lowest latency of the three), native HLS
// (Safari, iPhones before iOS 18.4: AAC-LC segments), else MP3 (every browser). The choice is
// made from what the element says it can play, so a browser that lacks a format skips it.
export const ELEMENT_FORMATS = [
  { format: 'ogg', type: 'audio/ogg; codecs="opus"', label: 'Ogg Opus', path: (id) => `/stream/${id}.ogg`, live: true },
  { format: 'hls', type: 'application/vnd.apple.mpegurl', label: 'HLS', path: (id) => `/hls/${id}/index.m3u8`, live: false },
  { format: 'mp3', type: 'audio/mpeg', label: 'MP3', path: (id) => `/stream/${id}.mp3`, live: true },
];

/** The first format `el` can play ('maybe' or 'probably'); MP3 when it claims none. */
export function chooseElementFormat(el) {
  for (const f of ELEMENT_FORMATS) if (el.canPlayType(f.type) !== '') return f;
  return ELEMENT_FORMATS[ELEMENT_FORMATS.length - 1];
}
