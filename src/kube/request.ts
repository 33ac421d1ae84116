// Per-request options for client-node's generated API clients.
import { Observable, type ConfigurationOptions, type RequestContext, type ResponseContext } from '@kubernetes/client-node';

/**
 * Options that abort a request after `ms`. The generated clients have no timeout of their own
 * (undici waits up to 300 s for headers), so without this a black-holed member would hold a
 * list, and with it the informer's restart loop, for five minutes.
 */
export function timeoutOptions(ms: number): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(AbortSignal.timeout(ms));
          return new Observable(Promise.resolve(ctx));
        },
        post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
      },
    ],
    // Keep the client's own middleware (User-Agent header).
    middlewareMergeStrategy: 'append',
  };
}
