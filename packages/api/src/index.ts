export {
  type ApiContext,
  type Authentication,
  type CookieJar,
  type CookieOptions,
  createInnerContext,
  memoryCookieJar,
} from './context.ts';
export { type AppRouter, appRouter } from './router.ts';
export { createCallerFactory } from './trpc.ts';
