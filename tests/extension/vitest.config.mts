import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('../..'),
  resolve: {
    alias: { vscode: here('./mocks/vscode.ts') },
  },
  test: {
    include: ['tests/extension/**/*.test.ts'],
    environment: 'node',
    restoreMocks: true,
  },
});
