// `npm run demo`: the KubeFed guide's flow on a local multi-cluster sandbox — three real
// kube-apiservers (host + two members), real ExternalDNS, real PowerDNS, and mcdns — with the
// objects and the DNS answers printed at each step; then the same name moves to Gateway API: a
// RouteDNSRecord beside the IngressDNSRecord, member2 on Gateway API while member1 is still on
// its Ingress, the name handed over without a missed answer, member1 following once its Gateway
// API CRDs are installed. Exits 0 only if every answer was right.
//   npm run demo -- --keep    leaves the sandbox running and prints how to poke at it.
import { readFileSync } from 'node:fs';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { installGatewayApi, putGateway, putRoute, setGatewayAddresses, setRouteParents } from '../env/gateway-api.js';
import { ensureNamespace, eventually, putIngress, setReadyEndpoints } from '../env/workloads.js';

const NS = 'fed-namespace';
const HOST = 'helloworld.example.org';
const keep = process.argv.includes('--keep');
const failures: string[] = [];

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
function step(title: string): void {
  console.log(`\n${bold(`==> ${title}`)}`);
}
function show(label: string, text: string): void {
  console.log(`--- ${label}`);
  console.log(text.trimEnd().replace(/^/gm, '    '));
}

async function expectAnswer(bed: Bed, expected: string[], why: string): Promise<void> {
  const want = [...expected].sort().join(' ');
  const dig = `dig @127.0.0.1 -p ${bed.powerdns!.port} ${HOST} A +short`;
  try {
    const got = await eventually(why, () => bed.powerdns!.query(HOST, 'A'), (a) => [...a].sort().join(' ') === want, 90_000);
    show(`$ ${dig}`, got.join('\n') || '(no answer)');
    console.log(`    ✔ ${why}: ${want || 'no answer'}`);
  } catch (err) {
    const got = await bed.powerdns!.query(HOST, 'A').catch(() => []);
    show(`$ ${dig}`, got.join('\n') || '(no answer)');
    console.log(`    ✘ ${why}: expected ${want || 'no answer'}`);
    failures.push(`${why}: ${(err as Error).message}`);
  }
}

/** member2 gets the Gateway API CRDs, a Gateway with address `ip` and the HTTPRoute for HOST, accepted. */
async function gatewayRoute(bed: Bed, member: string, ip: string): Promise<void> {
  const kc = bed.kubeConfig(member);
  await installGatewayApi(bed.kubeconfigPath, member, kc);
  await putGateway(kc, NS, 'gw');
  await setGatewayAddresses(kc, NS, 'gw', [ip]);
  await putRoute(kc, 'HTTPRoute', NS, 'helloworld', { hostnames: [HOST], parents: ['gw'], backends: [{ name: 'helloworld' }] });
  await setRouteParents(kc, 'HTTPRoute', NS, 'helloworld', [{ parent: 'gw', accepted: true }]);
  await setReadyEndpoints(kc, NS, 'helloworld', 1);
  show(`$ kubectl --context ${member} -n ${NS} get gateway,httproute`, await bed.kubectl(member, ['-n', NS, 'get', 'gateways.gateway.networking.k8s.io,httproutes.gateway.networking.k8s.io']));
}

/** The same name moves from the Ingress record to a route record, as docs/migrating-from-ingress.md tells it. */
async function toGatewayApi(bed: Bed): Promise<void> {
  step('member2 moves to Gateway API: CRDs (sigs.k8s.io/gateway-api), a Gateway at 127.0.0.22, an HTTPRoute for the same name');
  await gatewayRoute(bed, 'member2', '127.0.0.22');

  step('A RouteDNSRecord beside the IngressDNSRecord, for the same name: the younger claim waits');
  show('manifests/samples/routednsrecord.yaml (adapted)', ROUTE_RECORD);
  show('$ kubectl apply -f -', await bed.kubectl('host', ['apply', '-f', '-'], ROUTE_RECORD));
  await eventually('route record NameConflict', () => bed.kubectl('host', ['-n', NS, 'get', 'routednsrecord', 'helloworld', '-o', 'jsonpath={.status.conditions[0].reason}']), (r) => r === 'NameConflict', 60_000).catch((e: Error) => failures.push(e.message));
  show(`$ kubectl -n ${NS} get ingressdnsrecords,routednsrecords`, await bed.kubectl('host', ['-n', NS, 'get', 'ingressdnsrecords,routednsrecords']));
  await expectAnswer(bed, ['127.0.0.11', '127.0.0.12'], 'the Ingress record still holds the name');

  step('The IngressDNSRecord lets go of the name: the route record takes it over (DNS sampled all along)');
  const seen: string[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) seen.push((await bed.powerdns!.query(HOST, 'A').catch(() => [])).sort().join(' '));
  })();
  show('$ kubectl -n fed-namespace patch ingressdnsrecord fed-helloworld-ingress --type=merge -p \'{"spec":{"hosts":[]}}\'',
    await bed.kubectl('host', ['-n', NS, 'patch', 'ingressdnsrecord', 'fed-helloworld-ingress', '--type=merge', '-p', '{"spec":{"hosts":[]}}']));
  await expectAnswer(bed, ['127.0.0.22'], 'member2\'s Gateway answers; member1, still on its Ingress only, is reported, not published');
  sampling = false;
  await sampler;
  const missed = seen.filter((a) => a === '').length;
  console.log(`    ${missed === 0 ? '✔' : '✘'} ${seen.length} answers sampled through the switch, ${missed} empty`);
  if (missed > 0) failures.push(`${missed} of ${seen.length} answers were empty during the hand-over`);
  show(`$ kubectl -n ${NS} get routednsrecord helloworld -o jsonpath='{.status.conditions[0].message}'`,
    await bed.kubectl('host', ['-n', NS, 'get', 'routednsrecord', 'helloworld', '-o', 'jsonpath={.status.conditions[0].message}']));

  step('member1 follows: Gateway API CRDs installed while mcdns runs, a Gateway at 127.0.0.21');
  await gatewayRoute(bed, 'member1', '127.0.0.21');
  await expectAnswer(bed, ['127.0.0.21', '127.0.0.22'], 'both members answered from their Gateways');
  show(`$ kubectl -n ${NS} get routednsrecord helloworld -o jsonpath='{.status.dns}'`,
    await bed.kubectl('host', ['-n', NS, 'get', 'routednsrecord', 'helloworld', '-o', 'jsonpath={.status.dns}']));
}

const ROUTE_RECORD = `apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: RouteDNSRecord
metadata:
  name: helloworld
  namespace: ${NS}
spec:
  routeRef:
    kind: HTTPRoute
  hosts:
  - ${HOST}
  recordTTL: 30
`;

async function main(): Promise<void> {
  // The bed's server processes are unref'd so tests can exit; the demo itself must stay alive
  // while it waits for them (e.g. for an API server to stop).
  const keepAlive = setInterval(() => undefined, 60_000);
  step('Starting the sandbox: etcd, kube-apiservers host/member1/member2, PowerDNS, ExternalDNS v0.22.0');
  const bed = await startBed({ members: ['member1', 'member2'] });
  let mcdns: McdnsHandle | undefined;
  const teardown = async () => {
    await mcdns?.stop();
    await bed.stop();
  };
  try {
    console.log(`    up in ${(bed.timings.total ?? 0) / 1000 || '?'} s; kubeconfig ${bed.kubeconfigPath}`);
    show('$ kubectl config get-contexts', await bed.kubectl('host', ['config', 'get-contexts']));

    step('Installing the mcdns CRDs on the host cluster (manifests/crds)');
    show('$ kubectl apply -f manifests/crds/', await bed.kubectl('host', ['apply', '-f', 'manifests/crds/']));

    step('Each member runs the app behind an Ingress with its own load-balancer address');
    for (const [member, ip] of [['member1', '127.0.0.11'], ['member2', '127.0.0.12']] as const) {
      await ensureNamespace(bed.kubeConfig(member), NS);
      await putIngress(bed.kubeConfig(member), NS, 'helloworld-ingress', [HOST], [ip]);
      show(`$ kubectl --context ${member} -n ${NS} get ingress`, await bed.kubectl(member, ['-n', NS, 'get', 'ingress']));
    }

    step('Starting mcdns (the built CLI) against the host and both members');
    const args = [...bedFlags(bed), '--offline-grace=5s', '--heartbeat-interval=1s', '--gateway-discovery-interval=2s'];
    console.log(`    $ mcdns run ${args.join(' ')}`);
    mcdns = startMcdns(args);

    step("Applying the KubeFed guide's IngressDNSRecord, verbatim apart from <domain>");
    await ensureNamespace(bed.kubeConfig('host'), NS);
    show('manifests/samples/ingressdnsrecord.yaml', readFileSync('manifests/samples/ingressdnsrecord.yaml', 'utf8'));
    show('$ kubectl apply -f manifests/samples/ingressdnsrecord.yaml', await bed.kubectl('host', ['apply', '-f', 'manifests/samples/ingressdnsrecord.yaml']));
    await expectAnswer(bed, ['127.0.0.11', '127.0.0.12'], 'PowerDNS answers with both members');
    show(`$ kubectl -n ${NS} get ingressdnsrecords`, await bed.kubectl('host', ['-n', NS, 'get', 'ingressdnsrecords']));
    show(`$ kubectl -n ${NS} get dnsendpoint ingress-fed-helloworld-ingress -o yaml (spec)`,
      await bed.kubectl('host', ['-n', NS, 'get', 'dnsendpoints.externaldns.k8s.io', 'ingress-fed-helloworld-ingress', '-o', 'jsonpath={.spec}']));
    const txt = (await bed.powerdns!.query(`a-${HOST}`, 'TXT')).join('\n');
    show(`$ dig @127.0.0.1 -p ${bed.powerdns!.port} a-${HOST} TXT +short   (ownership, for DNS teams)`, txt || '(none)');
    if (!txt.includes('heritage=external-dns')) failures.push('no TXT ownership record');

    step('member2 goes down (its API server is stopped)');
    await bed.apiServer('member2').stop();
    await expectAnswer(bed, ['127.0.0.11'], 'after the 5 s offline grace only member1 is answered');
    show(`$ kubectl -n ${NS} get ingressdnsrecord fed-helloworld-ingress -o jsonpath='{.status.conditions[0].message}'`,
      await bed.kubectl('host', ['-n', NS, 'get', 'ingressdnsrecord', 'fed-helloworld-ingress', '-o', 'jsonpath={.status.conditions[0].message}']));

    step('member2 comes back');
    await bed.apiServer('member2').start();
    await expectAnswer(bed, ['127.0.0.11', '127.0.0.12'], 'member2 is answered again');

    await toGatewayApi(bed);

    if (keep) {
      step('Sandbox left running (--keep). Press Ctrl-C to tear it down.');
      console.log(`    export KUBECONFIG=${bed.kubeconfigPath}`);
      console.log(`    kubectl --context host -n ${NS} describe ingressdnsrecord fed-helloworld-ingress`);
      console.log(`    dig @127.0.0.1 -p ${bed.powerdns!.port} ${HOST} A +short`);
      console.log(`    mcdns log: ${mcdns.logFile}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    step('Tearing down');
    await teardown();
    clearInterval(keepAlive);
  }
  if (failures.length > 0) {
    console.log(`\n✘ demo failed:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    if (mcdns) console.log(`mcdns log tail:\n${mcdns.logs().split('\n').slice(-30).join('\n')}`);
    process.exit(1);
  }
  console.log('\n✔ every DNS answer matched');
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(`✘ demo could not run: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
