// The reachability check of one member: GET /readyz every interval, with a timeout that follows
// the member's measured round trip. A far member answers in one round trip most of the time, and
// in three when the connection is dialled again (TCP and TLS handshakes, then the request); the
// timeout must not turn that into a failure. It is the round trip as TCP estimates its own
// (RFC 6298: the smoothed round trip plus four times its variation) times those three, never
// below the configured timeout (3 s by default, which also covers what does not scale with the
// distance: Linux resends a lost SYN after 1 s and a lost segment after at least 200 ms) and
// never above half the offline grace (a failure must still be seen within the grace). At 200 ms
// the floor still holds; at a 1 s round trip the timeout grows to about 4 s.
import { Health, type KubeConfig } from '@kubernetes/client-node';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { observeHeartbeat } from '../metrics/metrics.js';
import type { LoopStalls } from './event-loop.js';

/** Checks that the member's API server answers; rejects with the reason otherwise. */
export type Probe = (kc: KubeConfig, signal: AbortSignal) => Promise<void>;

const readyzProbe: Probe = async (kc, signal) => {
  if (!(await new Health(kc).readyz({ signal }))) throw new Error('/readyz did not answer ok');
};

/** Round trips a check on a fresh connection needs: TCP handshake, TLS handshake, the request. */
const FRESH_CONNECTION_ROUND_TRIPS = 3;

/** The smoothed round trip of a member's checks and its variation (RFC 6298's SRTT and RTTVAR). */
export class RoundTrip {
  private srtt: number | undefined;
  private rttvar = 0;

  /** One measured round trip, in ms. */
  sample(ms: number): void {
    if (this.srtt === undefined) {
      this.srtt = ms;
      this.rttvar = ms / 2;
      return;
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
    this.srtt = 0.875 * this.srtt + 0.125 * ms;
  }

  /** The smoothed round trip (ms); undefined before the first sample. */
  get smoothedMs(): number | undefined {
    return this.srtt;
  }

  /** The timeout of one check: see the top of this file. */
  timeoutMs(floorMs: number, ceilingMs: number): number {
    if (this.srtt === undefined) return floorMs;
    const adaptive = FRESH_CONNECTION_ROUND_TRIPS * (this.srtt + 4 * this.rttvar);
    return Math.round(Math.min(Math.max(floorMs, adaptive), Math.max(floorMs, ceilingMs)));
  }
}

export interface HeartbeatOptions {
  cluster: string;
  kc: KubeConfig;
  intervalMs: number;
  /** The timeout's floor (the configured heartbeat timeout). */
  timeoutFloorMs: number;
  /** The timeout's ceiling (half the offline grace). */
  timeoutCeilingMs: number;
  probe?: Probe;
  loop: LoopStalls;
  logger: Logger;
  /** Before each check: the grace can run out while a check hangs. */
  tick(): void;
  ok(): void;
  failed(reason: string): void;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: AbortController | undefined;
  private stopped = false;
  readonly roundTrip = new RoundTrip();

  constructor(private readonly o: HeartbeatOptions) {}

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight?.abort();
  }

  /** The timeout the next check gets (ms). */
  get timeoutMs(): number {
    return this.roundTrip.timeoutMs(this.o.timeoutFloorMs, this.o.timeoutCeilingMs);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.check();
      this.schedule(this.o.intervalMs);
    }, delay);
  }

  private async check(): Promise<void> {
    this.o.tick();
    if (this.inFlight) return;
    const ctrl = new AbortController();
    const timeoutMs = this.timeoutMs;
    const startedAt = Date.now();
    const timer = setTimeout(() => ctrl.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    this.inFlight = ctrl;
    try {
      await (this.o.probe ?? readyzProbe)(this.o.kc, ctrl.signal);
      if (this.stopped) return;
      // A round trip measured while our own loop stalled says nothing about the member.
      if (this.o.loop.stalledMs(startedAt) === 0) this.roundTrip.sample(Date.now() - startedAt);
      observeHeartbeat(this.o.cluster, 'ok');
      this.o.ok();
    } catch (err) {
      if (this.stopped) return;
      const stalledMs = ctrl.signal.aborted ? this.o.loop.stalledMs(startedAt) : 0;
      if (stalledMs >= timeoutMs / 4) {
        // Our own loop was too busy to read the answer in time: no evidence either way.
        observeHeartbeat(this.o.cluster, 'discounted');
        this.o.logger.debug('heartbeat timed out while the event loop was stalled: not counted', { stalledMs });
        return;
      }
      observeHeartbeat(this.o.cluster, 'failed');
      this.o.failed(`heartbeat: ${ctrl.signal.aborted ? `no answer within ${timeoutMs} ms` : describeError(err)}`);
    } finally {
      clearTimeout(timer);
      this.inFlight = undefined;
    }
  }
}
