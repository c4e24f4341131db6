// Preloaded into the Portkey gateway (`node --import ./portkey-loopback.mjs .../start-server.js`).
// Portkey's start-server calls @hono/node-server's serve() without a hostname, so Node binds every
// interface, and it offers no flag to change that. A listen() given a port but no host is pinned
// to 127.0.0.1 here, so the benchmark never exposes a gateway to the network.
// Plain JavaScript on purpose: it runs inside a third-party process, without our TypeScript loader.
import net from 'node:net';

const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first, second] = args;
  if (typeof first === 'number' && (second === undefined || typeof second === 'function')) {
    args.splice(1, second === undefined ? 1 : 0, '127.0.0.1');
  } else if (
    first !== null &&
    typeof first === 'object' &&
    first.host === undefined &&
    first.path === undefined
  ) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return originalListen.apply(this, args);
};
