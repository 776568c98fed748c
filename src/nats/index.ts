export { startNatsServer } from './server.js';
export type { EmbeddedNatsServer, NatsServerOptions } from './server.js';
export { connectNats } from './connect.js';
export type { NatsConnectionOptions } from './connect.js';
