export { silentLogger } from '../../src/server/log.js';
