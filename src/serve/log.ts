// The server's log: one JSON object per line on stderr, one line per event. Callers pass only
// what may be logged: never the key, the token, or any vector.

/** Writes one event (a name and loggable fields) to the log. */
export type Logger = (event: string, fields?: Record<string, unknown>) => void;

/** A logger writing `{"time": ISO, "event": ..., ...fields}` lines through `write`. */
export function jsonLogger(write: (line: string) => void): Logger {
  return (event, fields = {}) => {
    write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + '\n');
  };
}
