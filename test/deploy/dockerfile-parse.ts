import { readFileSync } from 'node:fs';

/** One instruction of a Dockerfile: `RUN`, `COPY`, … and its arguments (continuation lines joined). */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** A build stage: its base image (build arguments substituted), its name and its instructions. */
export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/**
 * Reads a Dockerfile the way `docker build` does for the parts the tests look at: comments dropped, `\`
 * continuations joined, `${ARG}` in `FROM` replaced by the global ARG's default. Not a full parser (no heredocs, no
 * escape directive), which this repository's Dockerfile does not use.
 */
export function readDockerfile(file: string): Stage[] {
  const instructions = logicalLines(readFileSync(file, 'utf8')).map((line): Instruction => {
    const m = /^(\S+)\s*(.*)$/s.exec(line);
    return { keyword: (m?.[1] ?? '').toUpperCase(), args: m?.[2] ?? '' };
  });
  const globalArgs = new Map<string, string>();
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const ins of instructions) {
    const current = stages[stages.length - 1];
    if (ins.keyword === 'FROM') {
      const [image = '', as, name] = ins.args.split(/\s+/);
      const from = image.replace(/\$\{?(\w+)\}?/g, (_, arg: string) => globalArgs.get(arg) ?? '');
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (current !== undefined) {
      current.instructions.push(ins);
    } else if (ins.keyword === 'ARG') {
      const [k = '', v = ''] = ins.args.split('=');
      globalArgs.set(k.trim(), v.trim());
    }
  }
  return stages;
}

function logicalLines(text: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    // A comment line inside a continuation is skipped by Docker too.
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    out.push(pending + line);
    pending = '';
  }
  if (pending !== '') out.push(pending);
  return out.filter((l) => l.trim() !== '');
}

/** The arguments of an exec-form instruction (`["a", "b"]`), or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  const trimmed = args.trim();
  if (!trimmed.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(trimmed);
  return Array.isArray(parsed) ? parsed.map(String) : undefined;
}

/** `ENV A=1 B=2` (and the legacy `ENV A 1`) of a stage, in order, later ones winning. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    if (!ins.args.includes('=')) {
      const [k = '', ...rest] = ins.args.split(/\s+/);
      env[k] = rest.join(' ');
      continue;
    }
    for (const m of ins.args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) env[m[1] ?? ''] = m[3] ?? m[2] ?? '';
  }
  return env;
}
