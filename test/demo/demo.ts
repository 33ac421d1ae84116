// `npm run demo`: the KubeFed guide's flow on a local multi-cluster sandbox — three real
// kube-apiservers (host + two members), real ExternalDNS, real PowerDNS, and mcdns — with the
// objects and the DNS answers printed at each step. Exits 0 only if every answer was right.
//   npm run demo -- --keep    leaves the sandbox running and prints how to poke at it.
import { readFileSync } from 'node:fs';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { ensureNamespace, eventually, putIngress } from '../env/workloads.js';

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
    const args = [...bedFlags(bed), '--offline-grace=5s', '--heartbeat-interval=1s'];
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
