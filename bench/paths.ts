import { fileURLToPath } from 'node:url';

/** Paths of the compiled files (this module runs from dist/bench/). */
export const SERVER_CLI = fileURLToPath(new URL('../src/cli/index.js', import.meta.url));
export const SEED_SCRIPT = fileURLToPath(new URL('./seed.js', import.meta.url));
export const BARE_HTTP_SCRIPT = fileURLToPath(new URL('./bare-http.js', import.meta.url));
export const BARE_FASTIFY_SCRIPT = fileURLToPath(new URL('./bare-fastify.js', import.meta.url));
export const FASTIFY_SETUP_SCRIPT = fileURLToPath(new URL('./fastify-setup.js', import.meta.url));
/** The repository root (dist/bench/ → ../../). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
