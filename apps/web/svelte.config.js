import adapter from '@sveltejs/adapter-node';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  kit: {
    // The server (apps/server) imports build/handler.js and mounts it at `/`; the prefix keeps
    // adapter-node from reading the server's own variables (HOST, PORT) as its settings.
    adapter: adapter({ out: 'build', envPrefix: 'SWITCHBOARD_CONSOLE_' }),
    // SvelteKit adds a nonce for its own bootstrap script; nothing else may run or be framed.
    csp: {
      mode: 'auto',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        // Dialogs and menus position themselves with inline style attributes.
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:'],
        'connect-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
        'frame-ancestors': ['none'],
      },
    },
  },
};

export default config;
