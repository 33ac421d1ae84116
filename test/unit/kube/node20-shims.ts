// Test-process shim, no-op on Node >= 22.
//
// nock 15.0.6 (through @mswjs/interceptors 0.45) patches net.Socket.connect and calls
// Promise.withResolvers, which Node 20 lacks. While nock is active, without this shim EVERY
// outgoing connection in the process fails with "Promise.withResolvers is not a function" -
// also connections nock has no interceptor for (real 127.0.0.1 servers). Mocha runs all spec
// files in one process, so one spec importing nock would break every test here that talks to a
// local server. With the shim nock passes unmatched connections through (and does intercept
// client-node's undici fetch).
type Resolvers = { promise: Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void };
const P = Promise as unknown as { withResolvers?: () => Resolvers };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = () => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
export {};
