import pkg from '../package.json' with { type: 'json' };

/** This build's version (the workspace package's, kept equal to the repository's). */
export const GANZHI_VERSION: string = pkg.version;
