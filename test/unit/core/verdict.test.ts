import { expect } from 'chai';
import { ttlOf } from '../../../src/core/ttl.js';
import { boundedMessage, unavailability } from '../../../src/core/verdict.js';
import { offline, online } from './fixtures.js';

describe('record TTL', () => {
  it('defaults to KubeFed\'s 180 seconds when recordTTL is absent or 0', () => {
    expect(ttlOf({})).to.equal(180);
    expect(ttlOf({ recordTTL: 0 })).to.equal(180);
  });

  it('uses recordTTL when it is set', () => {
    expect(ttlOf({ recordTTL: 300 })).to.equal(300);
    expect(ttlOf({ recordTTL: 1 })).to.equal(1);
  });
});

describe('Ready messages', () => {
  it('joins parts with "; " and drops repeated parts', () => {
    expect(boundedMessage(['a', 'b', 'a', ''])).to.equal('a; b');
  });

  it('keeps a message on one line', () => {
    expect(boundedMessage(['first\nline', 'tab\there'])).to.equal('first line; tab here');
  });

  it('ends a long message with "…and N more" within the limit', () => {
    const parts = Array.from({ length: 10 }, (_, i) => `cluster-${i}: ${'x'.repeat(20)}`);
    const message = boundedMessage(parts, 100);
    expect(message.length).to.be.at.most(100);
    expect(message).to.equal(`${parts.slice(0, 2).join('; ')}; …and 8 more`);
  });

  it('cuts a single over-long part', () => {
    const message = boundedMessage(['y'.repeat(50), 'z'], 30);
    expect(message.length).to.be.at.most(30);
    expect(message).to.match(/^y+…; …and 1 more$/);
  });

  it('describes when and why a cluster stopped being online', () => {
    expect(unavailability(online('a'))).to.equal(undefined);
    expect(unavailability(offline('b'))).to.equal('offline');
    expect(unavailability(offline('b', { stateSince: '2024-05-01T10:00:00Z', stateMessage: 'no route\nto host' }))).to.equal(
      'offline since 2024-05-01T10:00:00Z: no route to host',
    );
    expect(unavailability(online('c', { state: 'unknown' }))).to.equal('not synced yet (state unknown)');
  });
});
