// A logger whose JSON lines land in an array, so tests can assert what was logged.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/log.js';

export function capturingLogger(level = 'debug'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

/** winston writes asynchronously; one turn of the event loop lets it finish. */
export const flushLogs = (): Promise<void> => new Promise((r) => setImmediate(r));
