export { eraseCustomer } from './erase-customer.js';
export type { EraseDeps, EraseResult, ScoreTombstone } from './erase-customer.js';
