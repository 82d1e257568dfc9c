import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit tests of the bench's pure parts (histogram, packet encoding, profile summary, the
// sustained-rate decision): npx vitest run --config bench/vitest.config.ts
// (the root config's projects do not include bench/; adding 'bench/**/*.test.ts' to its unit
// project would run them with `npm test` too).
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['bench/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
  },
});
