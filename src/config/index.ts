export { loadConfig } from './load.js';
export type { ConfigSources } from './load.js';
export { ConfigSchema } from './schema.js';
export type { Config } from './schema.js';
