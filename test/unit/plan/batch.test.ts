// Shaping a zone batch's changes before they are written (src/plan/batch.ts).
import { expect } from 'chai';
import type { DnsRecord } from '../../../src/plan/records.js';

describe('provider sink: one batch, several records, one record set', () => {
  const rec = (name: string, type: string, targets: string[]): DnsRecord => ({ name, type, ttl: 60, targets });
  it('adds a hand-over (old holder deletes, new holder creates) up to one update per record set', async () => {
    const { netChanges } = await import('../../../src/plan/batch.js');
    const oldA = rec('www.example.org', 'A', ['192.0.2.1']);
    const oldTxt = rec('a-www.example.org', 'TXT', ['"old"']);
    const newA = rec('www.example.org', 'A', ['192.0.2.2']);
    const newTxt = rec('a-www.example.org', 'TXT', ['"new"']);
    const net = netChanges([
      { action: 'delete', record: oldTxt, previous: oldTxt },
      { action: 'delete', record: oldA, previous: oldA },
      { action: 'create', record: newTxt },
      { action: 'create', record: newA },
      { action: 'create', record: rec('x.example.org', 'A', ['192.0.2.3']) },
    ]);
    expect(net.map((c) => `${c.action} ${c.record.type} ${c.record.name} ${c.record.targets.join()} ${c.previous?.targets.join() ?? '-'}`)).to.deep.equal([
      'update TXT a-www.example.org "new" "old"',
      'update A www.example.org 192.0.2.2 192.0.2.1',
      'create A x.example.org 192.0.2.3 -',
    ]);
    expect(netChanges([{ action: 'create', record: newA }, { action: 'delete', record: newA, previous: newA }])).to.deep.equal([]);
  });
});
