export { readEnv, type ServerEnv } from './env.ts';
export { createLogger, type Logger } from './log.ts';
export { CONSOLE_HANDLER, loadConsole } from './http/console.ts';
export { openCore, type RunningServer, type ServerMounts, startServer } from './server.ts';
