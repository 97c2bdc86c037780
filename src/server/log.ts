// Structured logs: one JSON object per line, so operators can grep and ship them.
export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, event: string, fields?: Record<string, unknown>) => void;

export const jsonLogger =
  (write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger =>
  (level, event, fields = {}) =>
    write(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }));

export const silentLogger: Logger = () => {};
