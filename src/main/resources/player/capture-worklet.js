// Passes the page's audio through unchanged and posts its first channel to the page in chunks, with the context frame
// each chunk starts at (capture.js analyses the joins between segments).
const CHUNK = 4096;

class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.buf = new Float32Array(CHUNK);
    this.used = 0;
    this.start = -1;
  }

  process(inputs, outputs) {
    const input = inputs[0];
    const output = outputs[0];
    const frames = output[0].length;
    for (let c = 0; c < output.length; c++) {
      if (input[c]) output[c].set(input[c]); else output[c].fill(0);
    }
    if (this.start < 0) this.start = currentFrame;
    const ch = input[0];
    for (let i = 0; i < frames; i++) {
      this.buf[this.used++] = ch ? ch[i] : 0;
      if (this.used === CHUNK) {
        this.port.postMessage({ frame: this.start, data: this.buf }, [this.buf.buffer]);
        this.buf = new Float32Array(CHUNK);
        this.used = 0;
        this.start = currentFrame + i + 1;
      }
    }
    return true;
  }
}

registerProcessor('vbuf-capture', Capture);
