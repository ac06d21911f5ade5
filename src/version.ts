import { readFileSync } from 'node:fs';

// The bundled installer has the version inlined by esbuild (define); the tsc build reads package.json.
declare const __UPHOP_VERSION__: string | undefined;

const readVersion = (): string => {
  try {
    return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
};

export const VERSION: string = typeof __UPHOP_VERSION__ === 'string' ? __UPHOP_VERSION__ : readVersion();
