// The stream worker: runs the stream engine (stream.js) off the page's main thread, so page work
// never delays decoding. {type:'start', port, options} starts it, {type:'stop'} ends it. A worker
// without WebCodecs hands the port back ({type:'unsupported'}) and the page decodes itself.
import { StreamEngine } from './stream.js';

let engine = null;

self.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'start') {
    if (typeof AudioDecoder !== 'function' || typeof EncodedAudioChunk !== 'function') {
      self.postMessage({ type: 'unsupported', port: m.port }, [m.port]);
      return;
    }
    engine = new StreamEngine((msg) => self.postMessage(msg), m.port, m.options);
    engine.start();
  } else if (m.type === 'stop' && engine) {
    engine.stop();
    engine = null;
  }
};
