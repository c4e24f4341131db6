export {
  type ApiContext,
  type Authentication,
  type CookieJar,
  type CookieOptions,
  createInnerContext,
  memoryCookieJar,
} from './context.ts';
export { type AppRouter, appRouter } from './router.ts';
export { SESSION_COOKIE } from './routers/auth.ts';
export { createCallerFactory } from './trpc.ts';
