// Types of esbuild.mjs's exports, for the tests that import them.
import type { BuildOptions } from 'esbuild';

export declare const extensionOptions: BuildOptions;
export declare const webviewOptions: BuildOptions;
export declare const graphOptions: BuildOptions;
export declare const viewerOptions: BuildOptions;
export declare const compareOptions: BuildOptions;
export declare const cardViewOptions: BuildOptions;
