// @vbuf/client: the JavaScript client of vbuf's segment API (docs/protocol.md), for browsers (no dependencies) and
// Node 20+ (with the `ws` package where there is no global WebSocket). Types: index.d.ts.
export { VbufClient, VbufFatalError } from './src/client.js';
export * from './src/protocol.js';
export { CONTRACT, backoffBoundMs, closeRule, delayMs, upgradeRule } from './src/reconnect.js';
