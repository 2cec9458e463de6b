// Bundles the extension and its results webview:
//   extension/src/extension.ts -> dist/extension.js (CommonJS, Node)
//   extension/webview/main.ts  -> media/panel.js    (one classic script, the browser)
//   extension/graph/main.ts    -> media/graph.js    (the flow graph view, elkjs bundled in)
//   extension/viewer/main.ts   -> media/viewer.js   (the value viewer, uPlot bundled in)
//   extension/compare/main.ts  -> media/compare.js  (the run/task comparison)
//   extension/cardView/main.ts -> media/cardView.js (a past task's @cards)
// `node esbuild.mjs [--production] [--watch]`. tests/extension/panelHarness.ts and
// graphHarness.ts build the webview bundles in memory, so their tests run the current sources.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = (p) => fileURLToPath(new URL(p, import.meta.url));

/** @type {import('esbuild').BuildOptions} */
export const extensionOptions = {
  entryPoints: [root('extension/src/extension.ts')],
  outfile: root('dist/extension.js'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['vscode'],
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'info',
};

/** @type {import('esbuild').BuildOptions} */
export const webviewOptions = {
  entryPoints: [root('extension/webview/main.ts')],
  outfile: root('media/panel.js'),
  bundle: true,
  // One classic script, which the CSP admits by nonce (esbuild keeps it strict).
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  logLevel: 'info',
};

/** @type {import('esbuild').BuildOptions} */
export const graphOptions = {
  ...webviewOptions,
  entryPoints: [root('extension/graph/main.ts')],
  outfile: root('media/graph.js'),
};

/** @type {import('esbuild').BuildOptions} */
export const viewerOptions = {
  ...webviewOptions,
  entryPoints: [root('extension/viewer/main.ts')],
  outfile: root('media/viewer.js'),
};

/** @type {import('esbuild').BuildOptions} */
export const compareOptions = {
  ...webviewOptions,
  entryPoints: [root('extension/compare/main.ts')],
  outfile: root('media/compare.js'),
};

/** @type {import('esbuild').BuildOptions} */
export const cardViewOptions = {
  ...webviewOptions,
  entryPoints: [root('extension/cardView/main.ts')],
  outfile: root('media/cardView.js'),
};

async function main() {
  const production = process.argv.includes('--production');
  const all = [extensionOptions, webviewOptions, graphOptions, viewerOptions, compareOptions, cardViewOptions].map((options) => ({ ...options, minify: production }));
  if (process.argv.includes('--watch')) {
    for (const options of all) await (await esbuild.context(options)).watch();
  } else {
    await Promise.all(all.map((options) => esbuild.build(options)));
  }
}

// Imported (by the panel tests) it only defines the options.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
