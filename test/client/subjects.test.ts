import { describe, expect, it } from 'vitest';
import { customerToken } from '../../src/contract/subjects.js';
import {
  REQUEST_ENDPOINTS,
  requestSubject,
  scoreSubject,
  segmentSubject,
  stageSubject,
} from '../../src/client/subjects.js';

describe('client subjects', () => {
  it('builds score subjects with the engine token rule, for any id', () => {
    expect(scoreSubject('churnflow', 'c-1')).toBe('churnflow.scores.c-1');
    expect(scoreSubject('churnflow', 'ann@example.com')).toBe('churnflow.scores.ann%40example%2Ecom');
    for (const id of ['a.b', '*', '>', 'ünï cødé', '😀']) {
      const subject = scoreSubject('p.q', id);
      expect(subject).toBe(`p.q.scores.${customerToken(id)}`);
      expect(subject.split('.')).toHaveLength(4); // no id can add a token or a wildcard
    }
    expect(scoreSubject('churnflow')).toBe('churnflow.scores.*');
  });

  it('builds segment, stage and request subjects', () => {
    expect(segmentSubject('churnflow', 'vip', 'entered')).toBe('churnflow.segments.vip.entered');
    expect(segmentSubject('churnflow', '*')).toBe('churnflow.segments.*.*');
    expect(stageSubject('churnflow', 'at_risk')).toBe('churnflow.stages.at_risk.entered');
    expect(REQUEST_ENDPOINTS.map((e) => requestSubject('churnflow', e))).toEqual([
      'churnflow.customers.get',
      'churnflow.customers.erase',
      'churnflow.segments.list',
      'churnflow.segments.dryrun',
      'churnflow.aggregates.get',
      'churnflow.models.status',
      'churnflow.models.rollback',
      'churnflow.models.unpin',
    ]);
  });
});
