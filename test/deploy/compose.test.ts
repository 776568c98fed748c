import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { subjectMappingConfig } from '../../src/partitions/index.js';
import { hostPathOf, readCompose, type Service } from './compose-file.js';
import { readDockerfile, stageEnv } from './dockerfile-parse.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const inRepo = (path: string): string => `${ROOT}${path.replace(/^\.\//, '')}`;
const compose = readCompose(inRepo('docker-compose.yml'));
const services = [...compose.services.values()];
const svc = (name: string): Service => {
  const s = compose.services.get(name);
  if (s === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
const stages = readDockerfile(inRepo('Dockerfile'));
const imageEnv = stageEnv(stages[stages.length - 1] ?? { from: '', name: undefined, instructions: [] });
const builtImages = new Set(services.filter((s) => s.build !== undefined).map((s) => s.image));

/** Services running the engine: the image built here, its default entrypoint, `start` (the image's CMD). */
const engines = services.filter(
  (s) => builtImages.has(s.image) && s.entrypoint === undefined && (s.command ?? ['start'])[0] === 'start',
);
const engineConfig = (s: Service) =>
  loadConfig({ file: inRepo('config/default.json'), env: { ...imageEnv, ...s.environment } });

/** The value of a `--flag value` pair in an argument list ('' when absent). */
const argAfter = (argv: readonly string[] | undefined, flag: string): string => {
  const i = argv?.indexOf(flag) ?? -1;
  return i < 0 ? '' : (argv?.[i + 1] ?? '');
};

/** P of the server's mapping in deploy/nats/nats.conf. */
const natsConf = readFileSync(inRepo('deploy/nats/nats.conf'), 'utf8');
const mappedP = Number(/partition\((\d+),1\)/.exec(natsConf)?.[1]);

describe('docker-compose.yml', () => {
  it('has the stack: NATS and its set-up, two engines, the simulator, Prometheus, Grafana', () => {
    const names = [...compose.services.keys()];
    for (const name of ['nats', 'nats-setup', 'simulator', 'prometheus', 'grafana'])
      expect(names).toContain(name);
    expect(engines.map((e) => e.name).sort()).toEqual(['churnflow-a', 'churnflow-b']);
  });

  it('mounts only paths that exist in the repository, and declares every named volume', () => {
    for (const s of services) {
      for (const m of s.mounts) {
        if (m.kind === 'bind') expect(existsSync(inRepo(m.source)), `${s.name}: ${m.source}`).toBe(true);
        else expect(compose.volumes, `${s.name}: volume ${m.source}`).toContain(m.source);
      }
      if (s.build !== undefined) expect(existsSync(inRepo(`${s.build}/Dockerfile`)), s.name).toBe(true);
      // A service that runs a file must be given it.
      const script = (s.entrypoint ?? []).find((a) => /\.(m?js)$/.test(a));
      if (script !== undefined) expect(hostPathOf(s, `/app/${script}`), `${s.name}: ${script}`).toBeDefined();
    }
  });

  it("gives every engine an environment the engine's config schema accepts, partitioned like the server", () => {
    const configs = engines.map(engineConfig);
    for (const c of configs) {
      expect(c.partitions.count).toBe(mappedP);
      expect(c.partitions.leaseBucket).not.toBe('');
      expect(new URL(c.nats.url).hostname).toBe('nats');
      expect(Number(new URL(c.nats.url).port)).toBe(Number(/^port:\s*(\d+)/m.exec(natsConf)?.[1]));
    }
    // Shared by every instance (README "Running several instances"), except the instance id.
    for (const key of ['leaseBucket', 'subjectPrefix'] as const) {
      expect(new Set(configs.map((c) => c.partitions[key])).size).toBe(1);
    }
    expect(new Set(configs.map((c) => c.nats.consumer)).size).toBe(1);
    expect(new Set(configs.map((c) => c.partitions.instanceId)).size).toBe(configs.length);
    expect(configs.every((c) => c.partitions.instanceId !== '')).toBe(true);
  });

  it('refuses what the engine would refuse (the check itself)', () => {
    const bad = { ...svc('churnflow-a'), environment: { CHURNFLOW_PARTITIONS_COUNTS: '4' } };
    expect(() => engineConfig(bad)).toThrow(/CHURNFLOW_PARTITIONS_COUNTS/);
  });

  it("publishes each engine's metrics port, on distinct host ports", () => {
    for (const e of engines) {
      expect(e.ports.map((p) => p.container)).toContain(engineConfig(e).http.port);
    }
    const hostPorts = services.flatMap((s) => s.ports.map((p) => p.host));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('holds the partition mapping for P in deploy/nats/nats.conf, loaded by the nats service', () => {
    expect(natsConf).toContain(subjectMappingConfig({ count: mappedP }));
    const nats = svc('nats');
    const confArg = argAfter(nats.command, '-c');
    expect(hostPathOf(nats, confArg)).toBe('deploy/nats/nats.conf');
  });

  it('runs the simulator with flags `churnflow simulate` knows, into the engines’ stream', () => {
    const sim = svc('simulator');
    expect(sim.command?.[0]).toBe('simulate');
    const known = [
      readFileSync(inRepo('src/cli/main.ts'), 'utf8'),
      readFileSync(inRepo('src/cli/nats-options.ts'), 'utf8'),
    ].flatMap((src) => [...src.matchAll(/\.option\('(--[\w-]+)/g)].map((m) => m[1]));
    const flags = (sim.command ?? []).filter((a) => a.startsWith('--'));
    for (const f of flags) expect(known, f).toContain(f);
    const stream = argAfter(sim.command, '--stream');
    for (const e of engines) expect(stream).toBe(engineConfig(e).nats.stream);
    expect(sim.environment['NATS_URL']).toBe(engineConfig(engines[0] as Service).nats.url);
    expect(sim.healthcheck, 'no HTTP server: the image healthcheck must be off').toBeNull();
  });

  it('sets up the stream the engines read before anything publishes', () => {
    const setup = svc('nats-setup');
    const c = engineConfig(engines[0] as Service);
    expect(setup.environment['CHURNFLOW_NATS_STREAM']).toBe(c.nats.stream);
    expect(setup.environment['CHURNFLOW_PARTITIONS_SUBJECT_PREFIX']).toBe(c.partitions.subjectPrefix);
    for (const name of [...engines.map((e) => e.name), 'simulator']) {
      expect(svc(name).dependsOn['nats-setup'], name).toBe('service_completed_successfully');
    }
  });

  it('waits only on services that exist and can report what it waits for', () => {
    for (const s of services) {
      for (const [dep, condition] of Object.entries(s.dependsOn)) {
        const target = svc(dep);
        if (condition !== 'service_healthy') continue;
        // Its own healthcheck, or the Dockerfile's for the image built here.
        const hasCheck = target.healthcheck !== undefined || builtImages.has(target.image);
        expect(target.healthcheck !== null && hasCheck, `${s.name} waits for ${dep} to be healthy`).toBe(
          true,
        );
      }
    }
  });
});

describe('deploy/prometheus/prometheus.yml', () => {
  const prom = parse(readFileSync(inRepo('deploy/prometheus/prometheus.yml'), 'utf8')) as {
    rule_files?: string[];
    scrape_configs?: { job_name: string; static_configs?: { targets: string[] }[] }[];
  };

  it('scrapes every engine service on its metrics port', () => {
    const targets = (prom.scrape_configs ?? []).flatMap((j) =>
      (j.static_configs ?? []).flatMap((s) => s.targets),
    );
    for (const e of engines) expect(targets).toContain(`${e.name}:${engineConfig(e).http.port}`);
  });

  it('is mounted where Prometheus reads it and loads the alert rules from the repository', () => {
    const p = svc('prometheus');
    expect(hostPathOf(p, '/etc/prometheus/prometheus.yml')).toBe('deploy/prometheus/prometheus.yml');
    const rules = (prom.rule_files ?? []).map((f) => hostPathOf(p, f));
    expect(rules).toContain('deploy/prometheus/rules/churnflow.rules.yml');
    for (const r of rules) expect(r !== undefined && existsSync(inRepo(r)), String(r)).toBe(true);
  });

  it('names the scrape job the alert rules select (up{job=...})', () => {
    const jobs = (prom.scrape_configs ?? []).map((j) => j.job_name);
    const text = readFileSync(inRepo('deploy/prometheus/rules/churnflow.rules.yml'), 'utf8');
    const selected = [...text.matchAll(/job\s*=~?\s*\\?"([^"\\]+)\\?"/g)].map((m) => m[1]);
    expect(selected.length).toBeGreaterThan(0);
    for (const job of selected) expect(jobs).toContain(job);
  });
});

describe('Grafana provisioning', () => {
  const grafana = svc('grafana');
  const provisioning = hostPathOf(grafana, '/etc/grafana/provisioning');

  it('mounts deploy/grafana/provisioning and a Prometheus datasource at the prometheus service', () => {
    expect(provisioning).toBe('deploy/grafana/provisioning');
    const file = inRepo('deploy/grafana/provisioning/datasources/prometheus.yml');
    const ds = parse(readFileSync(file, 'utf8')) as { datasources?: { type?: string; url?: string }[] };
    const port = svc('prometheus').ports[0]?.container;
    expect(
      ds.datasources?.some((d) => d.type === 'prometheus' && d.url === `http://prometheus:${port}`),
    ).toBe(true);
  });

  it('finds the dashboard where its provider points, and opens it as the home dashboard', () => {
    const file = inRepo('deploy/grafana/provisioning/dashboards/churnflow.yml');
    const doc = parse(readFileSync(file, 'utf8')) as { providers?: { options?: { path?: string } }[] };
    const dirs = (doc.providers ?? []).map((p) => hostPathOf(grafana, p.options?.path ?? ''));
    expect(dirs).toContain('deploy/grafana/dashboards');
    const home = hostPathOf(grafana, grafana.environment['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'] ?? '');
    expect(home).toBe('deploy/grafana/dashboards/churnflow.json');
    expect(existsSync(inRepo(home ?? ''))).toBe(true);
  });
});
