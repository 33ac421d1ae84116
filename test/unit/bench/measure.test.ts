// What the scale bench reads from mcdns's /metrics about its members: objects kept against
// objects seen, summed over members, and the round trip mcdns measured.
import { expect } from 'chai';
import { parseSamples } from '../../env/prom.js';
import { objectsFrom } from '../../bench/scale/measure.js';

describe('bench/scale: member objects from /metrics', () => {
  it('sums objects kept and seen over members, in all and by kind, and averages the round trip', () => {
    const text = [
      'mcdns_member_objects_indexed{cluster="member1",kind="Ingress"} 1000',
      'mcdns_member_objects_indexed{cluster="member2",kind="Ingress"} 1000',
      'mcdns_member_objects_indexed{cluster="member1",kind="EndpointSlice"} 3',
      'mcdns_member_objects_seen{cluster="member1",kind="Ingress"} 2000',
      'mcdns_member_objects_seen{cluster="member1",kind="EndpointSlice"} 10000',
      'mcdns_member_round_trip_seconds{cluster="member1"} 0.1',
      'mcdns_member_round_trip_seconds{cluster="member2"} 0.12',
    ].join('\n');
    expect(objectsFrom(parseSamples(text))).to.deep.equal({
      objectsRetained: 2003,
      objectsSeen: 12000,
      objectsByKind: { Ingress: { retained: 2000, seen: 2000 }, EndpointSlice: { retained: 3, seen: 10000 } },
      memberRoundTripMsSeen: 110,
    });
  });

  it('says null for what this mcdns does not count', () => {
    const only = objectsFrom(parseSamples('mcdns_member_objects_indexed{cluster="member1",kind="Ingress"} 5'));
    expect(only).to.deep.equal({ objectsRetained: 5, objectsSeen: null, objectsByKind: { Ingress: { retained: 5 } }, memberRoundTripMsSeen: null });
    expect(objectsFrom([]).objectsRetained).to.equal(null);
  });
});
