export { readEnv, type ServerEnv } from './env.ts';
export { createLogger, type Logger } from './log.ts';
export { openCore, type RunningServer, startServer } from './server.ts';
