// Readiness as /readyz reports it: what it waits for while not ready, and problems that do not
// hold it (a member source that cannot be read) once ready.
import { expect } from 'chai';
import { Readiness } from '../../../../src/controller/runtime/readiness.js';
import { capturingLogger } from '../../kube/capture-log.js';

describe('Readiness', () => {
  const state = { hostSynced: false, membersDecided: false, stopping: false, waiting: ['IngressDNSRecord (HTTP 404)'], problems: [] as string[], now: 0 };
  const readiness = () =>
    new Readiness({
      hostSynced: () => state.hostSynced,
      hostWaitingFor: () => state.waiting,
      membersDecided: () => state.membersDecided,
      problems: () => state.problems,
      graceMs: 30_000,
      stopping: () => state.stopping,
      logger: capturingLogger('debug').logger,
      now: () => state.now,
    });

  it('says what it waits for while not ready, then only the problems that do not hold it', () => {
    const r = readiness();
    state.problems = ['member source kubefedclusters unavailable: the KubeFedCluster CRD (kubefedclusters.core.kubefed.io) is not installed'];
    expect(r.ready()).to.equal(false);
    expect(r.explain()).to.deep.equal(['waiting for IngressDNSRecord (HTTP 404)', state.problems[0]]);
    state.hostSynced = true;
    state.waiting = [];
    expect(r.explain()[0]).to.equal('waiting for the member clusters to sync or be declared offline');
    state.membersDecided = true;
    expect(r.ready()).to.equal(true);
    expect(r.explain()).to.deep.equal(state.problems);
    state.stopping = true;
    expect(r.explain()).to.deep.equal(['shutting down']);
  });
});
