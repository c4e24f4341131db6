import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** Most JavaScript, gzipped, that the providers page may send (issue 10's budget). */
const BUDGET_BYTES = 150 * 1024;
/** The page the budget is for, by its route files. */
const PAGE_FILES = [
  'src/routes/+layout',
  'src/routes/w/[workspaceId]/+layout',
  'src/routes/w/[workspaceId]/providers/+page',
];

interface OutputChunk {
  type: 'chunk';
  code: string;
  isEntry: boolean;
  name: string;
  imports: string[];
  moduleIds: string[];
}

/**
 * Reports the gzipped JavaScript a browser loads for the providers page (SvelteKit's start and
 * app entries, the page's and its layouts' nodes, and everything they import statically), and
 * fails the build above the budget.
 */
export function pageWeight(): Plugin {
  return {
    name: 'switchboard-page-weight',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter(
        (item): item is OutputChunk & typeof item => item.type === 'chunk',
      );
      const byFile = new Map(Object.entries(bundle));
      const isClient = chunks.some((chunk) => chunk.isEntry && chunk.name.includes('entry/start'));
      if (!isClient) return;
      const roots = chunks.filter(
        (chunk) =>
          chunk.isEntry &&
          (chunk.name.includes('entry/') ||
            (chunk.name.includes('nodes/') &&
              chunk.moduleIds.some((id) => PAGE_FILES.some((file) => id.includes(`/${file}.`))))),
      );
      const seen = new Set<string>();
      let bytes = 0;
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const item = byFile.get(file) as OutputChunk | undefined;
        if (item?.type !== 'chunk') return;
        bytes += gzipSync(item.code).length;
        for (const imported of item.imports) visit(imported);
      };
      for (const root of roots) visit(root.fileName);
      const kb = (bytes / 1024).toFixed(1);
      this.info(`JavaScript for the providers page: ${kb} KB gzipped in ${seen.size} files (budget 150 KB)`);
      if (bytes > BUDGET_BYTES)
        this.error(`the providers page sends ${kb} KB of JavaScript gzipped, over 150 KB`);
    },
  };
}
