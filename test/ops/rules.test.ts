import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasBinary } from './prometheus.js';

const RULES = 'deploy/prometheus/rules/churnflow.rules.yml';
const RULE_TESTS = 'deploy/prometheus/rules/churnflow.rules.test.yml';
const promtool = hasBinary('promtool');

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
const anchor = (heading: string): string =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

describe('alert rules', () => {
  it.skipIf(!promtool)('pass promtool check rules and the unit tests (each alert firing and not)', () => {
    for (const args of [
      ['check', 'rules', RULES],
      ['test', 'rules', RULE_TESTS],
    ]) {
      const r = spawnSync('promtool', args, { encoding: 'utf8' });
      expect(r.status, `promtool ${args.join(' ')}:\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });
  if (!promtool) it.skip("promtool not found: install Debian's prometheus package (.ci/run does)", () => {});

  it('give every alert a runbook_url into a section of docs/runbook.md, and every alert a unit test', () => {
    const rules = readFileSync(RULES, 'utf8');
    const tests = readFileSync(RULE_TESTS, 'utf8');
    const runbook = readFileSync('docs/runbook.md', 'utf8');
    const anchors = new Set([...runbook.matchAll(/^## (.+)$/gm)].map((m) => anchor(m[1] as string)));
    const alerts = [...new Set([...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1] as string))];
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    const urls = [...rules.matchAll(/runbook_url: (\S+)/g)].map((m) => m[1] as string);
    expect(urls.length).toBe([...rules.matchAll(/- alert: /g)].length);
    for (const alert of alerts) {
      expect(urls, alert).toContain(`docs/runbook.md#${anchor(alert)}`);
      expect(anchors.has(anchor(alert)), `docs/runbook.md has a section ## ${alert}`).toBe(true);
      expect(tests, `a unit test of ${alert}`).toContain(`alertname: ${alert}`);
    }
  });
});
