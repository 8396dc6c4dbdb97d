// The app's own code, compiled (dist/), for the cases that read or write what the app stores. The
// specifier is computed, so the type check does not read the compiled JavaScript: each importer
// types what it gets by the source in src/ (`@type {typeof import('../../src/...')}`).

/**
 * @param {string} path under dist/, e.g. 'src/tokens/token-cipher.js'
 * @returns {Promise<unknown>}
 */
export function fromDist(path) {
  return import(new URL(`../../dist/${path}`, import.meta.url).href);
}
