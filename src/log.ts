// One structured logger for the whole controller: JSON lines, fields (record, cluster, provider,
// reason, ...) passed as metadata so log pipelines can filter on them, and a redaction pass so a
// token or key that slips into metadata is never written.
import winston from 'winston';
import type { Writable } from 'node:stream';

export type Logger = winston.Logger;

/** winston's npm levels plus 'silent' (no output, for tests and quiet embedding). */
const LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

/** Metadata keys whose values are secrets whatever they hold (compared lower-case, without - and _). */
const SECRET_KEYS = new Set([
  'token',
  'bearertoken',
  'password',
  'secret',
  'authorization',
  'apikey',
  'xapikey',
  'keydata',
  'certdata',
  'clientsecret',
]);
const REDACTED = '[redacted]';

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/** Replaces secret-looking values anywhere in a metadata value; leaves everything else as is. */
function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(/(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return redact(value.message, depth + 1);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : redact(v, depth + 1);
  return out;
}

// winston keeps level/message under symbols too; only the enumerable string keys are user metadata.
const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    info[key] = isSecretKey(key) ? REDACTED : redact(info[key]);
  }
  return info;
});

/**
 * A JSON logger at `level` (an npm level name, or 'silent'). `destination` replaces stdout, which
 * tests use to read what was logged.
 */
export function createLogger(level: string, destination?: Writable): Logger {
  const known = (LEVELS as readonly string[]).includes(level);
  const transport = destination
    ? new winston.transports.Stream({ stream: destination })
    : new winston.transports.Console();
  return winston.createLogger({
    level: known ? level : 'info',
    silent: level === 'silent',
    format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  });
}

/** The process-wide logger; components take a Logger parameter defaulting to this (or a child of it). */
export const log: Logger = createLogger(process.env.MCDNS_LOG_LEVEL ?? 'info');
