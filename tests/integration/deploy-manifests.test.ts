/**
 * deploy/: the Kubernetes manifests (kustomize base and overlays), the PrometheusRule and the Grafana dashboard.
 * No cluster and no kustomize binary here: the overlays are rendered by the small strategic merge below (named
 * lists merge by name, `null` deletes), every object is checked against a schema of the fields it uses, the
 * policy (non-root, read-only root, probes, resources, grace period) is asserted, the example configurations
 * load with the gateway's own loader, and every metric the rule and dashboard use exists in a running gateway's
 * /metrics.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { parseConfig } from '../../src/config/load.ts';
import { DELIVERY_ABORT_MS } from '../../src/gateway.ts';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { projectRoot } from '../helpers/reference.ts';

type Obj = Record<string, any>;
const deploy = join(projectRoot, 'deploy');

function readYaml(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS() as Obj;
  });
}

/** Strategic merge as kustomize does it for these fields: maps merge, lists of named items merge by name, null deletes. */
function merge(base: unknown, patch: unknown): unknown {
  if (patch === null) return undefined;
  if (
    Array.isArray(base) &&
    Array.isArray(patch) &&
    [...base, ...patch].every((x) => typeof x === 'object' && x !== null && 'name' in x)
  ) {
    const out = base.map((b) => {
      const p = patch.find((x: Obj) => x.name === (b as Obj).name);
      return p ? merge(b, p) : b;
    });
    for (const p of patch) if (!base.some((b: Obj) => b.name === p.name)) out.push(p);
    return out;
  }
  if (
    typeof base === 'object' &&
    base !== null &&
    !Array.isArray(base) &&
    typeof patch === 'object' &&
    !Array.isArray(patch)
  ) {
    const out: Obj = { ...(base as Obj) };
    for (const [k, v] of Object.entries(patch as Obj)) {
      const m = merge(out[k], v);
      if (m === undefined) delete out[k];
      else out[k] = m;
    }
    return out;
  }
  return patch;
}

/** Renders a kustomization folder: resources (files and folders), configMapGenerator, patches. */
function render(dir: string): Obj[] {
  const k = readYaml(join(dir, 'kustomization.yaml'))[0]!;
  expect(k).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' });
  let objects: Obj[] = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    expect(existsSync(path), `${dir}: resource ${r}`).toBe(true);
    objects.push(...(statSync(path).isDirectory() ? render(path) : readYaml(path)));
  }
  for (const g of k.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const f of g.files) data[basename(f)] = readFileSync(join(dir, f), 'utf8');
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data });
  }
  for (const p of k.patches ?? []) {
    for (const patch of readYaml(join(dir, p.path))) {
      const i = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      expect(i, `${dir}: patch ${p.path} targets nothing`).toBeGreaterThanOrEqual(0);
      objects[i] = merge(objects[i], patch) as Obj;
    }
  }
  for (const l of k.labels ?? []) {
    objects = objects.map((o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...l.pairs } } }));
  }
  return objects;
}

const name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
  .max(253);
const labels = z.record(z.string(), z.string());
const metadata = z.object({ name, labels: labels.optional(), annotations: labels.optional() });
const quantity = z.union([z.string().regex(/^[0-9.]+(m|Mi|Gi|Ki)?$/), z.number()]);
const probe = z.object({
  exec: z.object({ command: z.array(z.string()).min(1) }),
  periodSeconds: z.number().int().positive(),
  timeoutSeconds: z.number().int().positive(),
  failureThreshold: z.number().int().positive(),
});
const containerSecurity = z.object({
  readOnlyRootFilesystem: z.literal(true),
  runAsNonRoot: z.literal(true),
  allowPrivilegeEscalation: z.literal(false),
  capabilities: z.object({ drop: z.array(z.literal('ALL')).length(1) }),
});
const container = z
  .object({
    name,
    image: z.string().min(1),
    args: z.array(z.string()).optional(),
    env: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    envFrom: z.array(z.object({ secretRef: z.object({ name, optional: z.boolean().optional() }) })).optional(),
    securityContext: containerSecurity,
    resources: z.object({
      requests: z.object({ cpu: quantity, memory: quantity }),
      limits: z.object({ memory: quantity }),
    }),
    volumeMounts: z
      .array(z.object({ name, mountPath: z.string().startsWith('/'), readOnly: z.boolean().optional() }))
      .optional(),
  })
  .passthrough();
const volume = z
  .object({ name })
  .passthrough()
  .refine((v) => Object.keys(v).length === 2, 'a volume has exactly one source');
const podSpec = z
  .object({
    serviceAccountName: name,
    automountServiceAccountToken: z.literal(false),
    securityContext: z
      .object({
        runAsNonRoot: z.literal(true),
        runAsUser: z.number().int().positive(),
        seccompProfile: z.object({ type: z.literal('RuntimeDefault') }),
      })
      .passthrough(),
    containers: z.array(container).min(1),
    volumes: z.array(volume).optional(),
  })
  .passthrough();
const KINDS: Record<string, z.ZodType> = {
  Deployment: z.object({
    apiVersion: z.literal('apps/v1'),
    metadata,
    spec: z.object({
      replicas: z.number().int().positive(),
      selector: z.object({ matchLabels: labels }),
      strategy: z
        .object({ type: z.enum(['Recreate', 'RollingUpdate']) })
        .passthrough()
        .optional(),
      template: z.object({
        metadata: z.object({ labels }).passthrough(),
        spec: podSpec.extend({ terminationGracePeriodSeconds: z.number().int().positive() }),
      }),
    }),
  }),
  Job: z.object({
    apiVersion: z.literal('batch/v1'),
    metadata,
    spec: z
      .object({
        template: z.object({ spec: podSpec.extend({ restartPolicy: z.enum(['OnFailure', 'Never']) }) }).passthrough(),
      })
      .passthrough(),
  }),
  Service: z.object({
    apiVersion: z.literal('v1'),
    metadata,
    spec: z.object({
      selector: labels,
      ports: z.array(z.object({ name, port: z.number().int(), targetPort: z.union([z.string(), z.number()]) })).min(1),
    }),
  }),
  ServiceAccount: z.object({ apiVersion: z.literal('v1'), metadata, automountServiceAccountToken: z.literal(false) }),
  ConfigMap: z.object({ apiVersion: z.literal('v1'), metadata, data: z.record(z.string(), z.string()) }),
  PersistentVolumeClaim: z.object({
    apiVersion: z.literal('v1'),
    metadata,
    spec: z.object({
      accessModes: z.array(z.string()).min(1),
      resources: z.object({ requests: z.object({ storage: quantity }) }),
    }),
  }),
  PodDisruptionBudget: z.object({
    apiVersion: z.literal('policy/v1'),
    metadata,
    spec: z.object({ minAvailable: z.number().int(), selector: z.object({ matchLabels: labels }) }),
  }),
  ServiceMonitor: z.object({
    apiVersion: z.literal('monitoring.coreos.com/v1'),
    metadata,
    spec: z.object({
      selector: z.object({ matchLabels: labels }),
      endpoints: z.array(z.object({ port: z.string(), path: z.literal('/metrics') }).passthrough()).min(1),
    }),
  }),
  PrometheusRule: z.object({
    apiVersion: z.literal('monitoring.coreos.com/v1'),
    metadata,
    spec: z.object({
      groups: z
        .array(
          z.object({
            name: z.string(),
            rules: z
              .array(
                z.object({
                  alert: z.string().regex(/^[A-Z][A-Za-z]+$/),
                  expr: z.string(),
                  for: z
                    .string()
                    .regex(/^\d+[smh]$/)
                    .optional(),
                  labels: z.object({ severity: z.enum(['warning', 'critical']) }),
                  annotations: z.object({ summary: z.string() }).passthrough(),
                }),
              )
              .min(1),
          }),
        )
        .min(1),
    }),
  }),
};

function validate(objects: Obj[]): void {
  for (const o of objects) {
    const schema = KINDS[o.kind];
    expect(schema, `no schema for kind ${o.kind}`).toBeDefined();
    const r = schema!.safeParse(o);
    expect(
      r.success ? [] : r.error.issues.map((i) => `${o.kind}/${o.metadata?.name} ${i.path.join('.')}: ${i.message}`),
    ).toEqual([]);
  }
  // Every ConfigMap, Secret volume, PVC and ServiceAccount a pod refers to is in the rendering (Secrets are made by the operator).
  for (const o of objects.filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
    const spec = o.spec.template.spec;
    expect(objects.some((x) => x.kind === 'ServiceAccount' && x.metadata.name === spec.serviceAccountName)).toBe(true);
    for (const v of spec.volumes ?? []) {
      if (v.configMap)
        expect(
          objects.some((x) => x.kind === 'ConfigMap' && x.metadata.name === v.configMap.name),
          v.name,
        ).toBe(true);
      if (v.persistentVolumeClaim)
        expect(
          objects.some(
            (x) => x.kind === 'PersistentVolumeClaim' && x.metadata.name === v.persistentVolumeClaim.claimName,
          ),
          v.name,
        ).toBe(true);
    }
    for (const c of spec.containers)
      for (const m of c.volumeMounts ?? [])
        expect(
          spec.volumes.some((v: Obj) => v.name === m.name),
          m.name,
        ).toBe(true);
  }
}

const deployment = (objects: Obj[]) => objects.find((o) => o.kind === 'Deployment')!;
const gatewayConfig = (objects: Obj[], env: Record<string, string> = {}) => {
  const data = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'schakel-config')!.data[
    'schakel.yaml'
  ];
  return parseConfig(data, 'schakel.yaml', {
    env: { SCHAKEL_HOST: '0.0.0.0', SCHAKEL_DATA_DIR: '/var/lib/schakel', ...env },
  });
};

describe('deploy/k8s', () => {
  it('embedded: one replica, Recreate, SQLite on the claim, a configuration the gateway loads', () => {
    const objects = render(join(deploy, 'k8s/embedded'));
    validate(objects);
    const d = deployment(objects);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy.type).toBe('Recreate');
    expect(d.spec.template.spec.volumes.find((v: Obj) => v.name === 'data')).toEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'schakel-data' },
    });
    expect(gatewayConfig(objects).store.kind).toBe('sqlite');
  });

  it('scale-out: several replicas sharing PostgreSQL and RabbitMQ from the Secret, a migrate Job and a disruption budget', () => {
    const objects = render(join(deploy, 'k8s/scale-out'));
    validate(objects);
    const d = deployment(objects);
    expect(d.spec.replicas).toBeGreaterThan(1);
    expect(d.spec.template.spec.containers[0].envFrom).toEqual([
      { secretRef: { name: 'schakel-secrets', optional: false } },
    ]);
    const config = gatewayConfig(objects, {
      SCHAKEL_POSTGRES_URL: 'postgres://u:p@db/schakel',
      SCHAKEL_RABBITMQ_URL: 'amqps://u:p@mq/schakel',
    });
    expect(config.store).toMatchObject({ kind: 'postgres', url: 'postgres://u:p@db/schakel', migrateOnStart: false });
    expect(config.transport).toMatchObject({ kind: 'rabbitmq', url: 'amqps://u:p@mq/schakel' });
    expect(objects.find((o) => o.kind === 'Job')!.spec.template.spec.containers[0].args).toEqual(['migrate']);
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget')!;
    expect(pdb.spec.minAvailable).toBeLessThan(d.spec.replicas);
  });

  it('probes with the TLS-aware healthcheck, and a grace period longer than requests plus the delivery abort', () => {
    for (const overlay of ['embedded', 'scale-out']) {
      const objects = render(join(deploy, 'k8s', overlay));
      const spec = deployment(objects).spec.template.spec;
      const c = spec.containers[0];
      expect(c.livenessProbe.exec.command).toEqual(['schakel', 'healthcheck']);
      expect(c.readinessProbe.exec.command).toEqual(['schakel', 'healthcheck', '--ready']);
      expect(c.startupProbe.exec.command).toEqual(['schakel', 'healthcheck']);
      for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) probe.parse(p);
      const preStop = Number(c.lifecycle.preStop.exec.command[1]);
      const requestTimeoutMs = gatewayConfig(objects).server.requestTimeoutMs;
      expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
        preStop * 1000 + requestTimeoutMs + DELIVERY_ABORT_MS,
      );
    }
  });

  it('monitoring: a ServiceMonitor and a PrometheusRule on the alert, dead-letter and certificate metrics', () => {
    const objects = render(join(deploy, 'k8s/monitoring'));
    validate(objects);
    const exprs = objects
      .find((o) => o.kind === 'PrometheusRule')!
      .spec.groups.flatMap((g: Obj) => g.rules.map((r: Obj) => r.expr))
      .join('\n');
    for (const m of [
      'schakel_alert',
      'schakel_dead_letters',
      'schakel_dead_lettered_total',
      'schakel_certificate_days_left',
    ])
      expect(exprs).toContain(m);
  });

  it('the schema check itself refuses what the policy forbids', () => {
    const objects = render(join(deploy, 'k8s/embedded'));
    const d = structuredClone(deployment(objects));
    d.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false;
    expect(KINDS.Deployment!.safeParse(d).success).toBe(false);
    const e = structuredClone(deployment(objects));
    delete e.spec.template.spec.containers[0].resources;
    expect(KINDS.Deployment!.safeParse(e).success).toBe(false);
    expect(merge({ a: [{ name: 'x', v: 1 }, { name: 'y' }] }, { a: [{ name: 'x', v: null, w: 2 }] })).toEqual({
      a: [{ name: 'x', w: 2 }, { name: 'y' }],
    });
  });
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!kubectl)
  console.warn(
    'SKIPPED in deploy-manifests.test: kubectl not installed, the overlays are not also rendered by kustomize itself',
  );

describe.skipIf(!kubectl)('deploy/k8s rendered by kustomize itself (kubectl kustomize)', () => {
  it('gives the same objects and the same pod spec as the renderer above', () => {
    for (const overlay of ['embedded', 'scale-out', 'monitoring']) {
      const r = spawnSync('kubectl', ['kustomize', join(deploy, 'k8s', overlay)], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const real = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
      const ours = render(join(deploy, 'k8s', overlay));
      // kustomize names a generated ConfigMap with a content hash and updates the references to it.
      const unhash = (n: string) => n.replace(/^(schakel-config)-[a-z0-9]{10}$/, '$1');
      const key = (o: Obj) => `${o.kind}/${unhash(o.metadata.name)}`;
      expect(real.map(key).sort()).toEqual(ours.map(key).sort());
      const d = real.find((o) => o.kind === 'Deployment');
      if (d) {
        const volumes = d.spec.template.spec.volumes.map((v: Obj) =>
          v.configMap ? { ...v, configMap: { name: unhash(v.configMap.name) } } : v,
        );
        const byName = (a: Obj, b: Obj) => String(a.name).localeCompare(String(b.name));
        expect(volumes.sort(byName)).toEqual([...deployment(ours).spec.template.spec.volumes].sort(byName));
        expect(d.spec.replicas).toBe(deployment(ours).spec.replicas);
      }
    }
  });
});

describe('deploy/grafana', () => {
  const dashboard = JSON.parse(readFileSync(join(deploy, 'grafana/schakel-dashboard.json'), 'utf8')) as Obj;
  it('is a dashboard Grafana imports: unique panel ids, positions, Prometheus targets', () => {
    const schema = z
      .object({
        title: z.string(),
        uid: z.string().regex(/^[a-z0-9-]{1,40}$/),
        schemaVersion: z.number().int(),
        templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string() }).passthrough()) }),
        panels: z
          .array(
            z
              .object({
                id: z.number().int(),
                type: z.enum(['timeseries', 'stat', 'gauge', 'table']),
                title: z.string().min(1),
                gridPos: z.object({
                  x: z.number().int().min(0).max(23),
                  y: z.number().int().min(0),
                  w: z.number().int().min(1).max(24),
                  h: z.number().int().min(1),
                }),
                targets: z.array(z.object({ refId: z.string(), expr: z.string().min(1) }).passthrough()).min(1),
              })
              .passthrough(),
          )
          .min(1),
      })
      .passthrough();
    const r = schema.safeParse(dashboard);
    expect(r.success ? [] : r.error.issues).toEqual([]);
    const ids = dashboard.panels.map((p: Obj) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
  });
});

describe('every metric the rules and the dashboard use', () => {
  const TOKEN = 'deploy-manifests-test-scrape-token';
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ extraYaml: `metrics:\n  bearerToken: "${hashApiKey(TOKEN)}"\n` });
  });
  afterAll(async () => gw?.stop());

  /** Metric names in PromQL: identifiers of this gateway's and Node's metrics (functions and labels are not). */
  function metricsIn(expr: string): string[] {
    return [...expr.matchAll(/\b((?:schakel|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
  }

  it('exists in a running gateway /metrics', async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const families = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap((m) =>
        m[2] === 'histogram' ? [`${m[1]}_bucket`, `${m[1]}_sum`, `${m[1]}_count`] : [m[1]!],
      ),
    );
    const rules = readYaml(join(deploy, 'k8s/monitoring/prometheusrule.yaml'))[0]!.spec.groups.flatMap((g: Obj) =>
      g.rules.map((r: Obj) => r.expr as string),
    );
    const panels = (
      JSON.parse(readFileSync(join(deploy, 'grafana/schakel-dashboard.json'), 'utf8')) as Obj
    ).panels.flatMap((p: Obj) => p.targets.map((t: Obj) => t.expr as string));
    const used = new Set([...rules, ...panels].flatMap(metricsIn));
    expect(used.size).toBeGreaterThan(8);
    expect([...used].filter((m) => !families.has(m))).toEqual([]);
    // The check can fail: a made-up name is not there.
    expect(families.has('schakel_made_up_total')).toBe(false);
  });
});
