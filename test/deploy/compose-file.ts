import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { parse } from 'yaml';

/** A compose service, reduced to the fields the tests check (long and short syntaxes normalised). */
export interface Service {
  readonly name: string;
  readonly image: string | undefined;
  readonly build: string | undefined;
  readonly entrypoint: readonly string[] | undefined;
  readonly command: readonly string[] | undefined;
  readonly environment: Readonly<Record<string, string>>;
  readonly mounts: readonly Mount[];
  /** `host:container` port pairs (container side as a number). */
  readonly ports: readonly { readonly host: number; readonly container: number }[];
  readonly dependsOn: Readonly<Record<string, string>>;
  /** undefined: none of its own (the image's applies); null: disabled. */
  readonly healthcheck: readonly string[] | null | undefined;
}

/** A volume of a service: a bind mount of a repository path, or a named volume. */
export interface Mount {
  readonly kind: 'bind' | 'volume';
  /** The repository-relative path (bind) or the volume's name. */
  readonly source: string;
  readonly target: string;
}

/** The compose file: services by name and the named volumes it declares. */
export interface ComposeFile {
  readonly services: ReadonlyMap<string, Service>;
  readonly volumes: readonly string[];
}

type Raw = Record<string, unknown>;

/** Parses a compose file (YAML merge keys `<<:` resolved, as Docker Compose does). */
export function readCompose(file: string): ComposeFile {
  const doc = parse(readFileSync(file, 'utf8'), { merge: true }) as Raw;
  const services = new Map<string, Service>();
  for (const [name, raw] of Object.entries((doc['services'] ?? {}) as Record<string, Raw>)) {
    services.set(name, service(name, raw));
  }
  return { services, volumes: Object.keys(doc['volumes'] ?? {}) };
}

function service(name: string, raw: Raw): Service {
  const build = raw['build'];
  return {
    name,
    image: raw['image'] as string | undefined,
    build:
      typeof build === 'string' ? build : ((build as Raw | undefined)?.['context'] as string | undefined),
    entrypoint: argv(raw['entrypoint']),
    command: argv(raw['command']),
    environment: environment(raw['environment']),
    mounts: ((raw['volumes'] ?? []) as unknown[]).map(mount),
    ports: ((raw['ports'] ?? []) as unknown[]).map((p) => {
      const [host = '', container = ''] = String(p).split(':');
      return { host: Number(host), container: Number(container) };
    }),
    dependsOn: dependsOn(raw['depends_on']),
    healthcheck: healthcheck(raw['healthcheck']),
  };
}

function argv(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' ? value.split(/\s+/) : [JSON.stringify(value)];
}

function environment(value: unknown): Record<string, string> {
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((kv): [string, string] => {
        const [k = '', v = ''] = String(kv).split(/=(.*)/s);
        return [k, v];
      }),
    );
  }
  return Object.fromEntries(Object.entries((value ?? {}) as Raw).map(([k, v]) => [k, String(v)]));
}

function mount(value: unknown): Mount {
  if (typeof value !== 'string') {
    const v = value as Raw;
    const source = String(v['source']);
    return {
      kind: v['type'] === 'bind' ? 'bind' : 'volume',
      source: posix.normalize(source),
      target: String(v['target']),
    };
  }
  const [source = '', target = ''] = value.split(':');
  const bind = source.startsWith('.') || source.startsWith('/');
  return { kind: bind ? 'bind' : 'volume', source: bind ? posix.normalize(source) : source, target };
}

function dependsOn(value: unknown): Record<string, string> {
  if (Array.isArray(value)) return Object.fromEntries(value.map((s) => [String(s), 'service_started']));
  return Object.fromEntries(
    Object.entries((value ?? {}) as Record<string, Raw>).map(([k, v]) => [k, String(v['condition'])]),
  );
}

function healthcheck(value: unknown): string[] | null | undefined {
  if (value === undefined) return undefined;
  const v = value as Raw;
  if (v['disable'] === true) return null;
  return argv(v['test']);
}

/**
 * The repository file a path inside a service's container comes from, through its bind mounts (the longest
 * matching target wins), or undefined when no bind mount covers it.
 */
export function hostPathOf(svc: Service, containerPath: string): string | undefined {
  const covering = svc.mounts
    .filter((m) => m.kind === 'bind')
    .filter((m) => containerPath === m.target || containerPath.startsWith(`${m.target}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
  return covering === undefined
    ? undefined
    : posix.join(covering.source, containerPath.slice(covering.target.length));
}
