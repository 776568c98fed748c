import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as api from '../../src/index.js';

describe('package public face', () => {
  it('exports exactly the documented names', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'CHANNELS',
        'CUSTOM_TYPE_PATTERN',
        'ChurnflowError',
        'CustomerEventSchema',
        'DEFAULT_EVENT_PREFIX',
        'DLQ_REASONS',
        'DeadLetterHeaders',
        'ERROR_CODES',
        'EVENT_TYPES',
        'FEATURES',
        'FEATURE_NAMES',
        'MAX_CUSTOMER_ID_LENGTH',
        'MESSAGE_CHANNELS',
        'RATING_RANGES',
        'REQUEST_ERRORS',
        'STAGES',
        'ScoreUpdateSchema',
        'createSimulator',
        'customerIdFromToken',
        'customerToken',
        'eventSubject',
        'loadConfig',
        'parseEventSubject',
        'startChurnflow',
      ].sort(),
    );
  });

  it('package.json exposes the entry point, the light client and the schemas, nothing internal', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      exports: Record<string, unknown>;
      bin: unknown;
    };
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './client', './schemas/*.json']);
    expect(pkg.bin).toEqual({ churnflow: 'dist/src/cli/main.js' });
  });
});
