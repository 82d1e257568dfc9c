// The gateway thread's entry: TypeScript through tsx (as `npm start` runs), then the worker itself.
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker.ts', import.meta.url);
