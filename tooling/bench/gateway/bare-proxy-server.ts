// A reference proxy with no logic at all, run as its own process: read the body, parse the JSON,
// forward it with an undici pool, pipe the answer back. It is the floor any gateway is compared
// with: what a proxy costs before it authenticates, resolves or records anything.
// Usage: node --import tsx bare-proxy-server.ts http://127.0.0.1:UPSTREAM_PORT
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const upstreamOrigin = process.argv[2];
if (!upstreamOrigin) {
  process.stderr.write('usage: bare-proxy-server.ts UPSTREAM_ORIGIN\n');
  process.exit(2);
}
// Unbounded like a gateway's pool would be, so a thousand open streams are not queued behind each other.
const pool = new Pool(upstreamOrigin, { connections: null, keepAliveTimeout: 60_000 });

const server = createServer((request, response) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    const body = Buffer.concat(parts);
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end('{"error":{"message":"invalid JSON","type":"invalid_request_error"}}');
      return;
    }
    const abort = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) abort.abort();
    });
    pool
      .request({
        path: request.url ?? '/',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: request.headers.authorization ?? '',
        },
        body,
        signal: abort.signal,
      })
      .then(
        async (upstream) => {
          const contentType = upstream.headers['content-type'];
          response.writeHead(upstream.statusCode, {
            'content-type': typeof contentType === 'string' ? contentType : 'application/json',
          });
          for await (const part of upstream.body) response.write(part);
          response.end();
        },
        () => {
          if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
          response.end('{"error":{"message":"upstream failed","type":"api_error"}}');
        },
      );
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 61_000;

server.listen(0, '127.0.0.1', 2048, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => pool.close().then(() => process.exit(0)));
});
