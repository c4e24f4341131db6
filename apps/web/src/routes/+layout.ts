// The console renders in the browser and talks to /trpc itself (decision 0018).
export const ssr = false;
export const prerender = false;
