// The end of every end-to-end suite: when a test failed (or MCDNS_E2E_LOGS is set), print the
// controller's and ExternalDNS's logs, then stop the controller, the bed and any fake load
// balancers. `parts` is read at the end, after `before` has filled the suite's variables.
import type { Bed } from './bed.js';
import type { FakeLoadBalancer } from './fake-lb.js';
import type { McdnsHandle } from './mcdns.js';

export interface SuiteParts {
  mcdns?: McdnsHandle;
  bed?: Bed;
  lbs?: FakeLoadBalancer[];
}

export function tearDownSuite(parts: () => SuiteParts): void {
  let failed = false;
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });
  after(async () => {
    const { mcdns, bed, lbs } = parts();
    if (failed || process.env.MCDNS_E2E_LOGS) {
      if (mcdns) console.log(`--- mcdns log\n${mcdns.logs()}`);
      if (bed?.externalDns) console.log(`--- ExternalDNS log\n${bed.externalDns.logs().split('\n').slice(-60).join('\n')}`);
    }
    await mcdns?.stop();
    await bed?.stop();
    // A `before` that failed early leaves some of these unset.
    await Promise.all((lbs ?? []).filter((lb) => lb !== undefined).map((lb) => lb.down()));
  });
}
