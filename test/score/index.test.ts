import { describe, it, expect } from 'vitest';
import * as score from '../../src/score/index.js';

describe('src/score public surface', () => {
  it('exports exactly the documented names', () => {
    expect(Object.keys(score).sort()).toEqual(
      [
        'ENGAGEMENT_SCALES',
        'ModelRefusedError',
        'admitModel',
        'bgnbdColumns',
        'bgnbdExpectedPurchases',
        'bgnbdPAlive',
        'compareVersions',
        'createModelRegistry',
        'createShadowScorer',
        'loadGraphModelFromDir',
        'normalizeKerasModelJson',
        'readModelDir',
        'topReasons',
        'ENGAGEMENT_WEIGHTS',
        'MANIFEST_JSON',
        'MODEL_JSON',
        'ModelManifestSchema',
        'STAGES',
        'STAGE_THRESHOLDS',
        'WEIGHTS_BIN',
        'checkManifest',
        'createScorer',
        'engagementScore',
        'lifecycleStage',
        'lifecycleStageIndex',
        'loadChurnModel',
        'loadLayersModelFromDir',
        'modelDirHandler',
        'readManifest',
        'saveLayersModelToDir',
        'selectBackend',
      ].sort(),
    );
  });

  it('the manifest schema is plain JSON Schema (serialisable, with an $id)', () => {
    const json = JSON.parse(JSON.stringify(score.ModelManifestSchema)) as { $id: string; required: string[] };
    expect(json.$id).toBe('ModelManifest');
    expect(json.required).toEqual(
      expect.arrayContaining([
        'name',
        'version',
        'format',
        'features',
        'normalization',
        'churnDefinition',
        'trainedAt',
      ]),
    );
  });
});
