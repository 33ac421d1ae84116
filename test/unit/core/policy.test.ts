// Authorised names: which namespaces may publish which names (DNSNamePolicy), decided purely.
import { expect } from 'chai';
import type { DNSNamePolicy } from '../../../src/api/schema.js';
import { decideNames, selects } from '../../../src/core/policy.js';

const policy = (selector: DNSNamePolicy['spec']['namespaceSelector'], allowedNames: DNSNamePolicy['spec']['allowedNames']): DNSNamePolicy => ({
  metadata: { name: 'p' },
  spec: { namespaceSelector: selector, allowedNames },
});
const teamA = { 'kubernetes.io/metadata.name': 'team-a', team: 'a' };
const teamB = { 'kubernetes.io/metadata.name': 'team-b', team: 'b' };
const policies = [
  policy({ matchLabels: { team: 'a' } }, [{ suffix: 'a.example.org' }, { suffix: 'apps.example.org', allowWildcards: true }]),
  policy({ matchLabels: { team: 'b' } }, [{ suffix: 'b.example.org' }]),
];

describe('authorised names', () => {
  it('leaves everything open while no DNSNamePolicy exists (as KubeFed was)', () => {
    expect(decideNames(['www.bank.example', '*.x.example.org'], 'team-b', teamB, [])).to.deep.equal({
      allowed: ['*.x.example.org', 'www.bank.example'],
      denied: [],
    });
  });

  it('allows a namespace the names at and below the suffixes its policies grant, and nothing else', () => {
    const d = decideNames(['a.example.org', 'www.a.example.org', 'www.b.example.org', 'xa.example.org'], 'team-a', teamA, policies);
    expect(d.allowed).to.deep.equal(['a.example.org', 'www.a.example.org']);
    expect(d.denied.map((x) => x.name)).to.deep.equal(['www.b.example.org', 'xa.example.org']);
    expect(d.denied[0]?.why).to.equal('www.b.example.org is not allowed in namespace team-a: its DNSNamePolicies grant a.example.org, apps.example.org');
  });

  it('needs an explicit grant for a wildcard name', () => {
    expect(decideNames(['*.shop.apps.example.org'], 'team-a', teamA, policies).allowed).to.deep.equal(['*.shop.apps.example.org']);
    const d = decideNames(['*.a.example.org'], 'team-a', teamA, policies);
    expect(d.allowed).to.deep.equal([]);
    expect(d.denied[0]?.why).to.equal('*.a.example.org: a wildcard name needs a DNSNamePolicy granting wildcards below a.example.org to namespace team-a');
  });

  it('grants nothing to a namespace no policy selects, once any policy exists', () => {
    const d = decideNames(['www.a.example.org'], 'team-c', { 'kubernetes.io/metadata.name': 'team-c' }, policies);
    expect(d.denied[0]?.why).to.equal('www.a.example.org is not allowed in namespace team-c: no DNSNamePolicy grants this namespace any name');
  });

  it('compares names as DNS does (case, trailing dot)', () => {
    expect(decideNames(['WWW.A.example.org.'], 'team-a', teamA, policies).allowed).to.deep.equal(['www.a.example.org']);
  });

  it('evaluates label selectors as Kubernetes does', () => {
    expect(selects({}, teamA)).to.equal(true);
    expect(selects({ matchLabels: { team: 'a' } }, teamB)).to.equal(false);
    expect(selects({ matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'c'] }] }, teamA)).to.equal(true);
    expect(selects({ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] }, teamA)).to.equal(false);
    expect(selects({ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] }, {})).to.equal(true);
    expect(selects({ matchExpressions: [{ key: 'team', operator: 'Exists' }] }, teamA)).to.equal(true);
    expect(selects({ matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, teamA)).to.equal(false);
    expect(selects({ matchLabels: { 'kubernetes.io/metadata.name': 'team-b' } }, teamB)).to.equal(true);
  });
});
