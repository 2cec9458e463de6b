// Globals media/panel.js finds in a VS Code webview (or in jsdom / CommonJS for tests).
declare function acquireVsCodeApi(): { postMessage(message: unknown): void };
declare const module: { exports: unknown } | undefined;
