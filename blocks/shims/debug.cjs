// simple-peer logs through `debug`; the extension does not, so every logger is a no-op.
module.exports = function createDebug() {
  const log = () => {};
  log.enabled = false;
  return log;
};
