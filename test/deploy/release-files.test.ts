import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string; license: string };

/** The first lines of each licence text this test recognises, by SPDX id. */
const LICENSE_HEADS: Readonly<Record<string, RegExp>> = {
  'Apache-2.0': /^\s*Apache License\s+Version 2\.0, January 2004/,
  MIT: /^\s*MIT License/,
};

describe('release files', () => {
  it("ships the licence text package.json's license field names", () => {
    const head = LICENSE_HEADS[pkg.license];
    expect(head, `a known SPDX id: ${pkg.license}`).toBeDefined();
    expect(readFileSync(`${ROOT}LICENSE`, 'utf8')).toMatch(head ?? /$^/);
  });

  it("has a Keep a Changelog entry for package.json's version, dated", () => {
    const changelog = readFileSync(`${ROOT}CHANGELOG.md`, 'utf8');
    expect(changelog).toMatch(/keepachangelog\.com/);
    expect(changelog).toContain('## [Unreleased]');
    const escaped = pkg.version.replaceAll('.', '\\.');
    expect(changelog).toMatch(new RegExp(`^## \\[${escaped}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
  });
});
