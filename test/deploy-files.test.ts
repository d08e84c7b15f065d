/**
 * The deployment files under deploy/ cannot run here (no image registry, no container runtime, no cluster), so they
 * are checked as far as this machine can:
 *   - compose.yaml against the Compose file schema, by Debian's docker-compose (`config -q`: its bundled schema,
 *     the variables and the YAML; no daemon needed);
 *   - haproxy.cfg by Debian's HAProxy itself (`haproxy -c`);
 *   - gateway.json and the Kubernetes ConfigMap's gateway.json by the gateway's own config validation;
 *   - the Kubernetes manifests against the Kubernetes API's published OpenAPI schemas (kubernetes-models: each
 *     kind's schema as an ajv validator), then for what this project requires of them (probes, preStop and grace
 *     period against the drain, resources, a PodDisruptionBudget that selects the pods, secrets only from Secrets);
 *   - the Dockerfile for what this project requires (two stages, `npm ci --omit=dev`, a non-root user, a
 *     HEALTHCHECK on /healthz). No Dockerfile linter is available from npm or Debian without downloading a binary:
 *     deploy/README.md says so.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseConfig } from '../gateway/config';

import yaml from 'js-yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';

const ROOT = path.join(__dirname, '..');
const DEPLOY = path.join(ROOT, 'deploy');
const run = promisify(execFile);
const read = (file: string): string => fs.readFileSync(path.join(DEPLOY, file), 'utf8');

/** The variables compose.yaml requires (`${NAME:?…}`), as an operator's .env gives them. */
const COMPOSE_ENV = {
  UCV_CRM_URL: 'http://crm.internal:8080',
  UCV_BILLING_URL: 'http://billing.internal:8080',
  UCV_WAREHOUSE_URL: 'http://warehouse.internal:8080',
  UCV_SCORING_URL: 'http://scoring.internal:8080',
  RABBITMQ_PASSWORD: 'a-password-for-rabbitmq',
};

describe('compose.yaml', () => {
  it('is valid against the Compose file schema (docker-compose config)', async () => {
    const { stderr } = await run('docker-compose', ['-f', path.join(DEPLOY, 'compose.yaml'), 'config', '-q'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...COMPOSE_ENV },
    });
    expect(stderr).toBe('');
  });

  it('refuses to run without the backends’ URLs (a required variable names itself)', async () => {
    const { UCV_CRM_URL: _crm, ...rest } = COMPOSE_ENV;
    await expect(
      run('docker-compose', ['-f', path.join(DEPLOY, 'compose.yaml'), 'config', '-q'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...rest },
      }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining("set the CRM's URL in .env") });
  });

  it('runs two or more gateways behind HAProxy with Redis, PostgreSQL and RabbitMQ, secrets from files', async () => {
    const { stdout } = await run('docker-compose', ['-f', path.join(DEPLOY, 'compose.yaml'), 'config'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...COMPOSE_ENV },
    });
    const compose = yaml.load(stdout) as {
      services: Record<string, { image?: string; secrets?: unknown[]; environment?: Record<string, string> }>;
      secrets: Record<string, { file: string }>;
    };
    const gateways = Object.keys(compose.services).filter((s) => compose.services[s]?.image === 'ucv-gateway:local');
    expect(gateways.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['haproxy', 'redis', 'postgres', 'rabbitmq']));
    for (const g of gateways) {
      expect(JSON.stringify(compose.services[g]?.environment)).not.toMatch(/SECRET|PASSWORD|postgres:\/\//);
      expect(compose.services[g]?.secrets?.length).toBeGreaterThan(0);
    }
    const haproxy = read('haproxy.cfg');
    for (const g of gateways) expect(haproxy).toMatch(new RegExp(`server ${g} ${g}:4000 check`));
  });
});

describe('haproxy.cfg', () => {
  it('is valid for HAProxy (haproxy -c), checks /readyz and forwards the client address', async () => {
    const haproxy = fs.existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';
    const { stdout, stderr } = await run(haproxy, ['-c', '-f', path.join(DEPLOY, 'haproxy.cfg')]);
    expect(`${stdout}${stderr}`).toContain('Configuration file is valid');
    expect(read('haproxy.cfg')).toMatch(/option httpchk GET \/readyz/);
    expect(read('haproxy.cfg')).toMatch(/option forwardfor/);
  });
});

describe('the gateway configuration files', () => {
  it.each([
    ['deploy/gateway.json', () => JSON.parse(read('gateway.json')) as unknown],
    [
      'the ConfigMap of deploy/k8s',
      () =>
        JSON.parse(
          (yaml.load(read('k8s/configmap.yaml')) as { data: Record<string, string> }).data['gateway.json'] ?? '',
        ),
    ],
  ])('%s passes the gateway’s own config validation', (_, load) => {
    const config = parseConfig(load(), { ...COMPOSE_ENV, DATABASE_URL: 'postgres://ucv:x@postgres:5432/ucv' });
    expect(config.security.loginThrottle.trustedProxies.length).toBeGreaterThan(0);
    expect(config.shutdown.delayMs).toBeGreaterThan(0);
  });
});

interface Container {
  readinessProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: { cpu?: string; memory?: string } };
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  envFrom?: Array<{ secretRef?: { name: string }; configMapRef?: unknown }>;
}

describe('the Kubernetes manifests', () => {
  const docs = fs
    .readdirSync(path.join(DEPLOY, 'k8s'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => yaml.loadAll(read(`k8s/${f}`)) as Array<Record<string, any>>); // eslint-disable-line @typescript-eslint/no-explicit-any
  const of = (kind: string) => docs.filter((d) => d.kind === kind);
  const deployment = of('Deployment')[0];
  const pod = deployment?.spec.template.spec;
  const container = pod?.containers[0] as Container;

  it("are valid against the Kubernetes API's schemas, each of its kind", () => {
    const models: Record<string, new (data: never) => { validate(): void }> = {
      'apps/v1 Deployment': Deployment,
      'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
      'v1 ConfigMap': ConfigMap,
      'v1 Secret': Secret,
      'v1 Service': Service,
    };
    for (const d of docs) {
      const Model = models[`${d.apiVersion} ${d.kind}`];
      expect(Model).toBeDefined();
      // Throws naming the path and what the schema expected.
      expect(() => new (Model as NonNullable<typeof Model>)(d as never).validate()).not.toThrow();
    }
    // And it is a real check: a replica count of the wrong type is refused.
    const broken = JSON.parse(JSON.stringify(deployment)) as { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    expect(() => new Deployment(broken as never).validate()).toThrow();
  });

  it('have an apiVersion, a kind and a name each, of the kinds a gateway needs', () => {
    for (const d of docs)
      expect(d).toMatchObject({ apiVersion: expect.any(String), metadata: { name: expect.any(String) } });
    expect(docs.map((d) => `${d.apiVersion} ${d.kind}`).sort()).toEqual([
      'apps/v1 Deployment',
      'policy/v1 PodDisruptionBudget',
      'v1 ConfigMap',
      'v1 Secret',
      'v1 Service',
    ]);
  });

  it('probe readiness on /readyz and liveness on /healthz, and request resources', () => {
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
  });

  it('let the drain finish: preStop, then shutdown.delayMs and graceMs, within the grace period', () => {
    const sleep = Number(container.lifecycle?.preStop?.exec?.command[1]);
    expect(sleep).toBeGreaterThan(0);
    const config = JSON.parse(of('ConfigMap')[0]?.data['gateway.json']) as {
      shutdown: { delayMs: number; graceMs: number };
    };
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      sleep * 1000 + config.shutdown.delayMs + config.shutdown.graceMs,
    );
  });

  it('run as a non-root user, and keep a PodDisruptionBudget over the same pods', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    const pdb = of('PodDisruptionBudget')[0];
    expect(pdb?.spec.selector.matchLabels).toEqual(deployment?.spec.selector.matchLabels);
    expect(deployment?.spec.template.metadata.labels).toMatchObject(deployment?.spec.selector.matchLabels);
    expect(deployment?.spec.replicas).toBeGreaterThan(
      pdb?.spec.maxUnavailable ?? deployment?.spec.replicas - pdb?.spec.minAvailable,
    );
  });

  it('take secrets only from a Secret, never from a literal value', () => {
    expect(container.envFrom?.map((e) => e.secretRef?.name)).toContain(of('Secret')[0]?.metadata.name);
    for (const e of container.env ?? []) expect(e.name).not.toMatch(/SECRET|PASSWORD|DATABASE_URL|REDIS_URL|AMQP/);
    expect(JSON.stringify(of('ConfigMap'))).not.toMatch(/password|secret/i);
  });
});

describe('the Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'));

  it('builds in two stages, installs production dependencies only, runs as a non-root user with a health check', () => {
    expect(instructions.filter((l) => /^FROM \S+ AS \w+/.test(l))).toHaveLength(2);
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
    expect(dockerfile).toMatch(/COPY --from=deps \/app\/node_modules/);
    const user = instructions.filter((l) => l.startsWith('USER ')).pop();
    expect(user).toBe('USER node');
    expect(instructions.find((l) => l.startsWith('HEALTHCHECK'))).toMatch(/\/healthz/);
  });

  it('copies every folder the gateway imports from, and nothing it does not need', () => {
    const copied = instructions.flatMap((l) => /^COPY (?!--from)(\S+) /.exec(l)?.[1] ?? []);
    // Every relative import of the copied sources stays within the copied folders.
    const folders = new Set(copied.filter((c) => !c.includes('.')));
    const outside: string[] = [];
    for (const folder of folders) {
      const walk = (dir: string): void => {
        for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
          const rel = path.join(dir, entry.name);
          if (entry.isDirectory()) walk(rel);
          else if (/\.(ts|cjs)$/.test(entry.name)) {
            for (const m of fs.readFileSync(path.join(ROOT, rel), 'utf8').matchAll(/from '(\.[^']+)'/g)) {
              const target = path.relative(ROOT, path.resolve(ROOT, dir, m[1] as string)).split(path.sep)[0] as string;
              if (!folders.has(target)) outside.push(`${rel} → ${m[1]}`);
            }
          }
        }
      };
      walk(folder);
    }
    expect(outside).toEqual([]);
    expect(copied).not.toEqual(expect.arrayContaining(['mocks', 'test', 'bench', 'scripts']));
  });
});
