// One member out of several on one API server: the namespace proxy shows it its own namespace as
// the fleet's and hides the other members' — in the requests it passes on, and in the answers,
// whatever their chunks.
import { expect } from 'chai';
import { upstreamPath } from '../../bench/scale/namespace-proxy.js';
import { StreamReplacer } from '../../bench/scale/stream-replace.js';

describe('bench/scale: the namespace proxy', () => {
  const others = ['bench-m2', 'bench-m3'];

  it('sends a request about the fleet namespace to the member\'s own', () => {
    expect(upstreamPath('/apis/networking.k8s.io/v1/namespaces/bench/ingresses/r7', 'bench-m1', others, 'bench')).to.equal('/apis/networking.k8s.io/v1/namespaces/bench-m1/ingresses/r7');
    expect(upstreamPath('/apis/networking.k8s.io/v1/namespaces/bench/ingresses?watch=true&resourceVersion=5', 'bench-m1', others, 'bench')).to.equal(
      '/apis/networking.k8s.io/v1/namespaces/bench-m1/ingresses?watch=true&resourceVersion=5',
    );
    expect(upstreamPath('/api/v1/namespaces/bench', 'bench-m1', others, 'bench')).to.equal('/api/v1/namespaces/bench-m1');
    expect(upstreamPath('/api/v1/namespaces/bench-floor/services', 'bench-m1', others, 'bench'), 'another namespace').to.equal('/api/v1/namespaces/bench-floor/services');
  });

  it('selects the other members\' namespaces out of a cluster-wide list or watch, keeping its own selector', () => {
    const plain = new URL(`http://x${upstreamPath('/apis/networking.k8s.io/v1/ingresses?limit=500', 'bench-m1', others, 'bench')}`);
    expect(plain.searchParams.get('fieldSelector')).to.equal('metadata.namespace!=bench-m2,metadata.namespace!=bench-m3');
    expect(plain.searchParams.get('limit')).to.equal('500');
    const selected = new URL(`http://x${upstreamPath('/api/v1/services?fieldSelector=spec.type%3DLoadBalancer&watch=1', 'bench-m1', others, 'bench')}`);
    expect(selected.searchParams.get('fieldSelector')).to.equal('spec.type=LoadBalancer,metadata.namespace!=bench-m2,metadata.namespace!=bench-m3');
    expect(upstreamPath('/api/v1/nodes?watch=1', 'bench-m1', others, 'bench'), 'cluster-scoped').to.equal('/api/v1/nodes?watch=1');
    expect(upstreamPath('/version', 'bench-m1', others, 'bench')).to.equal('/version');
  });

  it('shows the member\'s namespace as the fleet\'s in an answer, across any chunk boundary', () => {
    const body = JSON.stringify({ items: [1, 2, 3].map((i) => ({ metadata: { name: `r${i}`, namespace: 'bench-m1' } })) });
    const want = body.replaceAll('"namespace":"bench-m1"', '"namespace":"bench"');
    for (let size = 1; size <= 40; size++) {
      const r = new StreamReplacer('"namespace":"bench-m1"', '"namespace":"bench"');
      let out = '';
      for (let i = 0; i < body.length; i += size) out += r.push(Buffer.from(body.slice(i, i + size)));
      expect(out + r.end(), `chunks of ${size}`).to.equal(want);
    }
  });

  it('leaves a longer namespace alone, and text split inside a character whole', () => {
    const r = new StreamReplacer('"namespace":"bench-m1"', '"namespace":"bench"');
    expect(r.push('{"namespace":"bench-m12"}') + r.end()).to.equal('{"namespace":"bench-m12"}');
    const text = Buffer.from('{"name":"é","namespace":"bench-m1"}');
    const cut = text.indexOf(0xa9); // inside the two bytes of é
    const s = new StreamReplacer('"namespace":"bench-m1"', '"namespace":"bench"');
    expect(s.push(text.subarray(0, cut)) + s.push(text.subarray(cut)) + s.end()).to.equal('{"name":"é","namespace":"bench"}');
    expect(() => new StreamReplacer('a', 'ba')).to.throw(/holds what it replaces/);
  });
});
