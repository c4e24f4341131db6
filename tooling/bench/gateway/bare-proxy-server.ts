// A reference proxy with no logic at all, run as its own process: the fastest simple proxy we
// could write, so that the benchmark's ratio measures the gateway against the real floor. It reads
// the body, parses the JSON (a gateway must), forwards it through an undici Pool of 64 keep-alive
// connections and pipes the answer's body straight back, without a copy per chunk.
// Usage: node --import tsx bare-proxy-server.ts http://127.0.0.1:UPSTREAM_PORT
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const upstreamOrigin = process.argv[2];
if (!upstreamOrigin) {
  process.stderr.write('usage: bare-proxy-server.ts UPSTREAM_ORIGIN\n');
  process.exit(2);
}
const pool = new Pool(upstreamOrigin, { connections: 64, pipelining: 1, keepAliveTimeout: 60_000 });
const BAD_JSON = '{"error":{"message":"invalid JSON","type":"invalid_request_error"}}';
const FAILED = '{"error":{"message":"upstream failed","type":"api_error"}}';

const server = createServer((request, response) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    const body = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      response.writeHead(400, { 'content-type': 'application/json' }).end(BAD_JSON);
      return;
    }
    pool.request(
      {
        path: request.url ?? '/',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: request.headers.authorization ?? '' },
        body,
      },
      (error, upstream) => {
        if (error) {
          if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
          response.end(FAILED);
          return;
        }
        const contentType = upstream.headers['content-type'];
        response.writeHead(upstream.statusCode, {
          'content-type': typeof contentType === 'string' ? contentType : 'application/json',
        });
        upstream.body.pipe(response);
        // A client that goes away cancels the upstream call.
        response.once('close', () => {
          if (!response.writableFinished) upstream.body.destroy();
        });
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
