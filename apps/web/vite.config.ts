import { sveltekit } from '@sveltejs/kit/vite';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';
import { pageWeight } from './scripts/page-weight.ts';

export default defineConfig({
  plugins: [tailwindcss(), sveltekit(), pageWeight()],
});
