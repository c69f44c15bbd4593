// deploy/kubernetes validated offline (issue 17 item 5): both kustomizations build, every resource
// passes the Kubernetes OpenAPI schema of its kind (kubernetes-models' generated ajv validators;
// the InferenceService against the KServe v1beta1 fields it uses, its transformer as a PodSpec),
// and the manifests agree with the server: the container args start a real `memguard serve` (the
// KServe one with the args KServe appends), the probes' paths answer 200 on it, the HPA's metric
// is a gauge in its /metrics, ports and labels line up, the grace period covers preStop + drain,
// the key and token are files from a Secret (never arguments), and the predictor takes traffic
// only from memguard.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Service } from 'kubernetes-models/v1/Service';
import { validate as validatePodSpec } from 'kubernetes-models/_schemas/IoK8sApiCoreV1PodSpec';
import { KEY_HEX, workDir } from '../serve/helpers.js';
import { kustomizeBuild, readYaml, type Resource } from './kustomize.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BASE = join(ROOT, 'deploy/kubernetes/base');
const KSERVE = join(ROOT, 'deploy/kubernetes/overlays/kserve');

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** The fields of serving.kserve.io/v1beta1 InferenceService these manifests use (KServe's CRD). */
const INFERENCE_SERVICE = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'serving.kserve.io/v1beta1' },
    kind: { const: 'InferenceService' },
    metadata: {
      type: 'object', required: ['name'],
      properties: { name: { type: 'string', pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$' }, annotations: { type: 'object', additionalProperties: { type: 'string' } } },
    },
    spec: {
      type: 'object', required: ['predictor'], additionalProperties: false,
      properties: {
        predictor: {
          type: 'object',
          properties: {
            model: {
              type: 'object', required: ['modelFormat'], additionalProperties: false,
              properties: {
                modelFormat: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, version: { type: 'string' } } },
                protocolVersion: { enum: ['v1', 'v2', 'grpc-v1', 'grpc-v2'] },
                storageUri: { type: 'string' }, runtime: { type: 'string' },
              },
            },
          },
        },
        transformer: {
          type: 'object', required: ['containers'],
          properties: {
            minReplicas: { type: 'integer', minimum: 0 }, maxReplicas: { type: 'integer', minimum: 0 },
            containerConcurrency: { type: 'integer', minimum: 0 }, timeout: { type: 'integer', minimum: 0 },
            scaleTarget: { type: 'integer' }, scaleMetric: { enum: ['cpu', 'memory', 'concurrency', 'rps'] },
            containers: { type: 'array', minItems: 1 },
          },
        },
      },
    },
  },
} as const;
/** KServe's ComponentExtensionSpec keys: the rest of a transformer is a PodSpec. */
const COMPONENT_EXTENSION = ['minReplicas', 'maxReplicas', 'scaleTarget', 'scaleMetric', 'containerConcurrency', 'timeout', 'canaryTrafficPercent',
  'logger', 'batcher', 'labels', 'annotations', 'deploymentStrategy'];

const validateInferenceService = new Ajv({ allErrors: true, strict: true }).compile(INFERENCE_SERVICE);

/** Throws with every schema error of a resource. */
function validateResource(r: Resource): void {
  const key = `${r.apiVersion}/${r.kind}`;
  if (key === 'serving.kserve.io/v1beta1/InferenceService') {
    if (!validateInferenceService(r)) throw new Error(`${r.metadata.name}: ${JSON.stringify(validateInferenceService.errors)}`);
    const podSpec = Object.fromEntries(Object.entries(r.spec.transformer).filter(([k]) => !COMPONENT_EXTENSION.includes(k)));
    if (!validatePodSpec(podSpec)) throw new Error(`${r.metadata.name} transformer: ${JSON.stringify((validatePodSpec as any).errors)}`);
    return;
  }
  const Model = MODELS[key];
  if (!Model) throw new Error(`no schema for ${key} (${r.metadata.name})`);
  new Model(r).validate();
}

const byKind = (rs: Resource[], kind: string) => rs.filter((r) => r.kind === kind);
const one = (rs: Resource[], kind: string) => {
  const found = byKind(rs, kind);
  assert.is(found.length, 1, `one ${kind}`);
  return found[0]!;
};
/** The value after `--flag` in an argument list (undefined when absent). */
const flag = (args: string[], name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const subset = (small: Record<string, string>, big: Record<string, string>) => Object.entries(small).every(([k, v]) => big[k] === v);

/** Pod labels KServe gives an InferenceService's component (pkg/constants: serving.kserve.io/inferenceservice, component). */
const kservePodLabels = (isvc: string, component: 'predictor' | 'transformer') => ({ 'serving.kserve.io/inferenceservice': isvc, component });

interface RunningServer { url: string; stop(): Promise<number | null>; log: string[] }

/** `memguard serve <args>` from a manifest, with files and the address swapped for this machine's. */
function startFromManifest(args: string[], files: Record<string, string>): Promise<RunningServer> {
  const local = args.map((a, i) => {
    const prev = args[i - 1];
    if (prev === '--host') return '127.0.0.1';
    if (prev === '--port' || prev === '--http_port') return '0';
    if (prev === '--upstream') return 'http://127.0.0.1:9';
    if (prev === '--predictor_host') return '127.0.0.1:9';
    return files[a] ?? a;
  });
  const unmapped = local.filter((a) => a.startsWith('/') && !Object.values(files).includes(a));
  if (unmapped.length > 0) throw new Error(`a path in the manifest's args the test does not provide: ${unmapped.join(', ')}`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.MEMGUARD_KEY;
  delete env.PORT;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...local], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stderr!.on('data', (d: Buffer) => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        log.push(line);
        if (!line.startsWith('{')) continue;
        const event = JSON.parse(line);
        if (event.event === 'ready') resolve({ url: event.url, log, stop: () => { child.kill('SIGTERM'); return exit; } });
      }
    });
    void exit.then((code) => reject(new Error(`memguard serve ${local.join(' ')} exited ${code} before ready:\n${log.join('\n')}${buffered}`)));
  });
}

function get(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    }).on('error', reject).end();
  });
}

/** The container's probes, its port, and the drain and grace checks shared by both manifests. */
function checkContainer(podSpec: any, container: any, where: string): { args: string[]; port: number } {
  const args: string[] = container.args;
  assert.equal(container.command, ['memguard', 'serve'], `${where}: runs memguard serve`);
  // The key and the token are files mounted from a Secret, never values on the command line.
  assert.ok(!args.includes('--key') && !args.some((a) => /^[0-9a-f]{32,}$/i.test(a)), `${where}: no key in the args`);
  assert.ok(!(container.env ?? []).some((e: any) => e.name === 'MEMGUARD_KEY' && e.value !== undefined), `${where}: no literal key in env`);
  const secretMounts = (container.volumeMounts ?? []).filter((m: any) => podSpec.volumes.find((v: any) => v.name === m.name)?.secret);
  for (const f of ['--key-file', '--token-file']) {
    const path = flag(args, f);
    if (f === '--key-file') assert.ok(path, `${where}: --key-file`);
    if (path) assert.ok(secretMounts.some((m: any) => path.startsWith(m.mountPath + '/') && m.readOnly), `${where}: ${f} ${path} is in a read-only Secret mount`);
  }
  const defense = flag(args, '--defense')!;
  assert.ok((container.volumeMounts ?? []).some((m: any) => defense.startsWith(m.mountPath + '/')), `${where}: --defense is in a mounted volume`);
  // Non-root, nothing writable, no privileges.
  assert.is(podSpec.securityContext.runAsNonRoot, true);
  assert.ok(podSpec.securityContext.runAsUser > 0);
  assert.is(container.securityContext.allowPrivilegeEscalation, false);
  assert.is(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.capabilities.drop, ['ALL']);
  assert.ok(container.resources.requests.cpu && container.resources.limits.cpu && container.resources.limits.memory, `${where}: resources`);
  // Probes: two different routes (a pod still loading must not be restarted), on the container's port.
  const ports: Array<{ name?: string; containerPort: number }> = container.ports;
  assert.is(ports.length, 1, `${where}: one port`);
  const port = ports[0]!.containerPort;
  for (const probe of [container.livenessProbe, container.readinessProbe]) {
    const p = probe.httpGet.port;
    assert.ok(p === port || p === ports[0]!.name, `${where}: probe port ${p} is the container's port ${port}`);
  }
  assert.is(container.livenessProbe.httpGet.path, '/v2/health/live');
  assert.is(container.readinessProbe.httpGet.path, '/v2/health/ready');
  // SIGTERM comes after preStop; the server then drains for --drain-seconds; all inside the grace period.
  const preStop = container.lifecycle.preStop.sleep.seconds;
  const drain = Number(flag(args, '--drain-seconds'));
  assert.ok(Number.isInteger(drain) && drain > 0, `${where}: --drain-seconds is set`);
  assert.ok(preStop + drain < podSpec.terminationGracePeriodSeconds,
    `${where}: preStop ${preStop} s + drain ${drain} s must fit in terminationGracePeriodSeconds ${podSpec.terminationGracePeriodSeconds}`);
  return { args, port };
}

const t = suite('deploy/kubernetes');

t('every manifest parses and passes its schema; kustomize builds both', () => {
  const base = kustomizeBuild(BASE);
  assert.equal(base.map((r) => r.kind).sort(), ['Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'Service']);
  const kserve = kustomizeBuild(KSERVE);
  assert.equal(kserve.map((r) => r.kind).sort(), ['InferenceService', 'NetworkPolicy']);
  for (const r of [...base, ...kserve]) validateResource(r);
  for (const r of base) assert.is(r.metadata.labels?.['app.kubernetes.io/part-of'], 'memguard', `${r.kind} carries the common label`);
});

t('the schemas reject what is wrong (the validation can fail)', () => {
  const base = kustomizeBuild(BASE);
  const broken = structuredClone(one(base, 'Deployment'));
  broken.spec.template.spec.containers[0].ports[0].containerPort = '8642';
  assert.throws(() => validateResource(broken), /containerPort must be integer/);
  const noSelector = structuredClone(one(base, 'Deployment'));
  delete noSelector.spec.selector;
  assert.throws(() => validateResource(noSelector), /selector/);
  const isvc = structuredClone(one(kustomizeBuild(KSERVE), 'InferenceService'));
  isvc.spec.transformer.containers[0].livenessProbe.periodSeconds = 'often';
  assert.throws(() => validateResource(isvc), /periodSeconds/);
  isvc.spec.transformers = isvc.spec.transformer;
  assert.throws(() => validateResource(isvc), /additional/);
});

t('base: ports, labels, the HPA target and the NetworkPolicy line up', () => {
  const base = kustomizeBuild(BASE);
  const deployment = one(base, 'Deployment'), service = one(base, 'Service'), hpa = one(base, 'HorizontalPodAutoscaler');
  const policy = one(base, 'NetworkPolicy');
  const podLabels = deployment.spec.template.metadata.labels;
  assert.ok(subset(deployment.spec.selector.matchLabels, podLabels), 'the Deployment selects its own pods');
  assert.ok(subset(service.spec.selector, podLabels), 'the Service selects the pods');
  const container = deployment.spec.template.spec.containers[0];
  const { args, port } = checkContainer(deployment.spec.template.spec, container, 'Deployment');
  assert.is(Number(flag(args, '--port')), port, '--port is the containerPort');
  assert.is(flag(args, '--host'), '0.0.0.0', 'reachable from the Service');
  assert.ok(flag(args, '--token-file'), 'a token guards a server listening beyond loopback');
  const target = service.spec.ports[0].targetPort;
  assert.ok(target === port || target === container.ports[0].name, 'the Service targets the container port');
  assert.is(Number(deployment.spec.template.metadata.annotations['prometheus.io/port']), port, 'Prometheus scrapes the server port');
  assert.equal(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
  assert.is(hpa.spec.metrics[0].type, 'Pods');
  assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas);
  // The predictor takes ingress only from memguard's pods, and the policy does not fence memguard itself.
  assert.equal(policy.spec.policyTypes, ['Ingress']);
  assert.is(policy.spec.ingress.length, 1);
  assert.is(policy.spec.ingress[0].from.length, 1);
  assert.ok(subset(policy.spec.ingress[0].from[0].podSelector.matchLabels, podLabels), 'ingress only from memguard pods');
  assert.not.ok(subset(policy.spec.podSelector.matchLabels, podLabels), 'the policy selects the predictor, not memguard');
  assert.is(policy.spec.ingress[0].from[0].namespaceSelector, undefined, 'no other namespace');
  const upstream = new URL(flag(args, '--upstream')!);
  assert.is(Number(upstream.port), policy.spec.ingress[0].ports[0].port, 'the policy opens the port memguard forwards to');
});

t('kserve overlay: memguard is the transformer, KServe\'s args and port, the policy on KServe\'s labels', () => {
  const built = kustomizeBuild(KSERVE);
  const isvc = one(built, 'InferenceService'), policy = one(built, 'NetworkPolicy');
  const transformer = isvc.spec.transformer;
  const container = transformer.containers[0];
  const { args, port } = checkContainer(transformer, container, 'InferenceService transformer');
  assert.is(port, 8080, "KServe's transformer port (it passes --http_port 8080)");
  for (const f of ['--port', '--http_port', '--model_name', '--predictor_host', '--upstream']) {
    assert.is(flag(args, f), undefined, `${f} is KServe's to pass, not the manifest's`);
  }
  assert.is(isvc.metadata.annotations['serving.kserve.io/deploymentMode'], 'RawDeployment');
  assert.is(isvc.spec.predictor.model.protocolVersion, flag(args, '--protocol'), 'memguard speaks the predictor\'s protocol');
  assert.ok(subset(policy.spec.podSelector.matchLabels, kservePodLabels(isvc.metadata.name, 'predictor')), 'the policy selects the predictor');
  assert.ok(subset(policy.spec.ingress[0].from[0].podSelector.matchLabels, kservePodLabels(isvc.metadata.name, 'transformer')), 'only the transformer gets in');
  assert.not.ok(subset(policy.spec.ingress[0].from[0].podSelector.matchLabels, kservePodLabels(isvc.metadata.name, 'predictor')));
  assert.is(policy.spec.ingress[0].ports[0].port, 8080, "the predictor's container port");
});

t('the manifests\' args start a real memguard serve; probes answer 200, the HPA metric is a gauge it exports', async () => {
  const dir = workDir();
  const keyFile = join(dir, 'manifest-key'), tokenFile = join(dir, 'manifest-token');
  writeFileSync(keyFile, KEY_HEX + '\n', { mode: 0o600 });
  writeFileSync(tokenFile, 'manifest-token\n', { mode: 0o600 });
  const deployment = one(kustomizeBuild(BASE), 'Deployment'), hpa = one(kustomizeBuild(BASE), 'HorizontalPodAutoscaler');
  const isvc = one(kustomizeBuild(KSERVE), 'InferenceService');
  const files = (args: string[]) => ({
    [flag(args, '--defense')!]: join(dir, 'g.json'), [flag(args, '--key-file')!]: keyFile,
    ...(flag(args, '--token-file') ? { [flag(args, '--token-file')!]: tokenFile } : {}),
  });
  const dc = deployment.spec.template.spec.containers[0];
  const kc = isvc.spec.transformer.containers[0];
  // What KServe appends to a transformer's args (pkg/apis/serving/v1beta1: transformer_custom.go).
  const kserveArgs = [...kc.args, '--model_name', isvc.metadata.name, '--predictor_host', `${isvc.metadata.name}-predictor.default`, '--http_port', '8080'];
  const servers = await Promise.all([
    startFromManifest([...dc.command.slice(1), ...dc.args], files(dc.args)),
    startFromManifest([...kc.command.slice(1), ...kserveArgs], files(kc.args)),
  ]);
  try {
    for (const [server, container] of [[servers[0]!, dc], [servers[1]!, kc]] as const) {
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        const r = await get(server.url + probe.httpGet.path);
        assert.is(r.status, 200, `${probe.httpGet.path}: ${r.text}`);
      }
      const missing = await get(server.url + '/v2/health/nope');
      assert.is(missing.status, 404, 'an unknown path is not 200 (the probe check can fail)');
    }
    const metrics = (await get(servers[0]!.url + '/metrics')).text;
    const name = hpa.spec.metrics[0].pods.metric.name;
    assert.match(metrics, new RegExp(`^# TYPE ${name} gauge$`, 'm'), `${name} is a gauge in /metrics`);
    const ready = servers[1]!.log.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.event === 'ready');
    assert.is(ready.modelName, isvc.metadata.name, '--model_name from KServe is taken');
    assert.is(ready.upstream, 'http://127.0.0.1:9', '--predictor_host becomes the upstream');
    assert.is(ready.protocol, 'v2');
  } finally {
    const codes = await Promise.all(servers.map((s) => s.stop()));
    assert.equal(codes, [0, 0], 'SIGTERM: drained and exited 0');
  }
});

t.run();
