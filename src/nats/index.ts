export { startNatsServer } from './server.js';
export type { EmbeddedNatsServer, NatsServerOptions } from './server.js';
export { connectNats, natsAccessOptions } from './connect.js';
export type { NatsAccess, NatsConnectionOptions } from './connect.js';
export { causes, isMissingStream } from './errors.js';
