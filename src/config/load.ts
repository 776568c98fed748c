import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { TypeGuard, type TSchema } from '@sinclair/typebox';
import { ChurnflowError } from '../contract/codes.js';
import { checkNatsAccess } from './nats-access.js';
import { closestName, isServiceLink } from './service-links.js';
import { ConfigSchema, type Config } from './schema.js';

/** Where configuration comes from. */
export interface ConfigSources {
  /** A JSON file; absent: defaults only. */
  readonly file?: string;
  /** Environment variables (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Programmatic overrides, applied last (tests, CLI flags). */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /**
   * Told of each `CHURNFLOW_*` variable passed over as a Kubernetes service link (`CHURNFLOW_METRICS_PORT=tcp://…`),
   * for a debug log: the logger's level is only known once the configuration is.
   */
  readonly onIgnoredEnv?: (name: string) => void;
}

const ENV_PREFIX = 'CHURNFLOW_';

/**
 * Loads, overlays and validates the configuration: file, then `CHURNFLOW_*` variables, then overrides.
 * Returns a deep-frozen object. Throws {@link ChurnflowError} CONFIG_INVALID naming the bad key.
 */
export function loadConfig(sources: ConfigSources = {}): Readonly<Config> {
  const raw = sources.file === undefined ? {} : readConfigFile(sources.file);
  applyEnv(raw, sources.env ?? process.env, sources.onIgnoredEnv);
  for (const [path, value] of Object.entries(sources.overrides ?? {})) setPath(raw, path.split('.'), value);
  rejectUnknownKeys(raw, ConfigSchema, '');
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw));
  const first = Value.Errors(ConfigSchema, withDefaults).First();
  if (first !== undefined) {
    const key = first.path.replace(/^\//, '').replaceAll('/', '.');
    throw new ChurnflowError(
      'CONFIG_INVALID',
      `config key "${key}": ${first.message} (got ${JSON.stringify(first.value)})`,
      {
        key,
      },
    );
  }
  const config = withDefaults as Config;
  requireWhen(config.source === 'file', 'ingest.file', config.ingest.file, 'source is "file"');
  requireWhen(config.sink === 'file', 'publish.file', config.publish.file, 'sink is "file"');
  checkNatsAccess(config.nats);
  return deepFreeze(config);
}

function requireWhen(condition: boolean, key: string, value: string, why: string): void {
  if (condition && value === '') {
    throw new ChurnflowError('CONFIG_INVALID', `config key "${key}": required when ${why}`, { key });
  }
}

function readConfigFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ChurnflowError(
      'CONFIG_UNREADABLE',
      `cannot read config file ${file}: ${String(cause)}`,
      { file },
      { cause },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ChurnflowError('CONFIG_INVALID', `config file ${file} must hold a JSON object`, { file });
  }
  return parsed as Record<string, unknown>;
}

/**
 * `CHURNFLOW_PUBLISH_MIN_RISK_DELTA` → `publish.minRiskDelta`. Under a config section, unknown names are refused,
 * not ignored, except the variables Kubernetes injects for Services named `churnflow-*`.
 */
function applyEnv(
  raw: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  onIgnored: (name: string) => void = () => undefined,
): void {
  const paths = envPaths();
  const sections = Object.keys(ConfigSchema.properties).map((k) => ENV_PREFIX + k.toUpperCase());
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name === 'NATS_URL') {
      setPath(raw, ['nats', 'url'], value);
      continue;
    }
    if (!name.startsWith(ENV_PREFIX) || name === 'CHURNFLOW_CONFIG') continue;
    // Checked before the keys: a Service `churnflow-http` writes CHURNFLOW_HTTP_PORT=tcp://…, a real key's name.
    if (isServiceLink(name, value)) {
      onIgnored(name);
      continue;
    }
    const path = paths.get(name);
    // Only names under a config section are ours to refuse: other CHURNFLOW_* names belong to someone else.
    if (path === undefined && sections.some((sec) => name === sec || name.startsWith(`${sec}_`))) {
      const near = closestName(name, paths.keys());
      throw new ChurnflowError(
        'CONFIG_INVALID',
        `unknown environment variable ${name}: no such config key${near === undefined ? '' : ` (did you mean ${near}?)`}`,
        { key: name },
      );
    }
    if (path !== undefined) setPath(raw, path, value);
  }
}

function envPaths(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (schema: TSchema, path: string[]): void => {
    if (TypeGuard.IsObject(schema)) {
      for (const [k, child] of Object.entries(schema.properties)) walk(child, [...path, k]);
      return;
    }
    const snake = path.map((p) => p.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()).join('_');
    out.set(ENV_PREFIX + snake, path);
  };
  walk(ConfigSchema, []);
  return out;
}

function rejectUnknownKeys(value: unknown, schema: TSchema, prefix: string): void {
  if (!TypeGuard.IsObject(schema) || typeof value !== 'object' || value === null) return;
  for (const [k, v] of Object.entries(value)) {
    const child = schema.properties[k];
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (child === undefined) {
      throw new ChurnflowError('CONFIG_INVALID', `unknown config key "${key}"`, { key });
    }
    rejectUnknownKeys(v, child, key);
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
