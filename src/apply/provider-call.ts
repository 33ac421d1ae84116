// One call to the provider (a zone list, a zone read or a write), bounded by a timeout and heard
// by the metrics hook; and the wrapper that carries a write gate's refusal through the sink.
import { withTimeout } from './retry.js';
import type { ProviderOperation, SinkContext } from './sink-context.js';

/** Thrown by the gate hook: passes through untouched to the publishers. */
export class Refused {
  constructor(readonly error: unknown) {}
}

export async function callProvider<T>(
  ctx: SinkContext,
  operation: ProviderOperation,
  what: string,
  fn: () => Promise<T>,
  timeoutMs = ctx.opts.callTimeoutMs ?? 30_000,
): Promise<T> {
  const started = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const value = await withTimeout(fn(), timeoutMs, `${ctx.provider.name}: ${what}`);
    ctx.opts.onCall?.(operation, true, seconds());
    return value;
  } catch (err) {
    // A refused write never reached the provider: it is no failed call.
    if (!(err instanceof Refused)) ctx.opts.onCall?.(operation, false, seconds());
    throw err;
  }
}
