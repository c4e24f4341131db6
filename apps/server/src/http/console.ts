import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from '../log.ts';
import type { Mount } from './app.ts';

/** The built console's request handler (adapter-node), in the connect style it exports. */
type ConsoleHandler = (request: IncomingMessage, response: ServerResponse, next: () => void) => void;

/** Where `pnpm --filter @switchboard/web build` puts the console's handler in this repository. */
export const CONSOLE_HANDLER = fileURLToPath(new URL('../../../web/build/handler.js', import.meta.url));

/**
 * Loads the built console to mount at `/`, or returns undefined (with a warning) when it has not
 * been built: the API and the gateway work without it. `npm start` builds it when needed first.
 */
export async function loadConsole(logger: Logger, handlerPath = CONSOLE_HANDLER): Promise<Mount | undefined> {
  if (!existsSync(handlerPath)) {
    logger.warn('console not built: serving the API only', {
      fix: 'pnpm --filter @switchboard/web build (npm start does it)',
    });
    return undefined;
  }
  const { handler } = (await import(pathToFileURL(handlerPath).href)) as { handler: ConsoleHandler };
  return (request, response) =>
    handler(request, response, () => {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Not found');
    });
}
