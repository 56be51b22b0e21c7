// Which WebSocket implementation the client uses: the one given, else the platform's (every browser; Node 22 and
// later), else the `ws` package, loaded only then (Node 20 has no global WebSocket). Browsers never reach the Node
// branch, so the package has no dependency there. `ws` is required through Node's CommonJS resolution, which also
// honours NODE_PATH.

let loaded = null;

export async function webSocketClass(given) {
  if (given) return given;
  if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket;
  loaded ??= (async () => {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    try {
      const ws = require('ws');
      return ws.WebSocket ?? ws;
    } catch (e) {
      throw new Error('this platform has no global WebSocket: install the `ws` package (npm install ws) next to'
                      + ` @vbuf/client, or pass options.WebSocket (${e.message})`);
    }
  })();
  return loaded;
}
