import type { ModelRegistry } from '../score/model-registry.js';
import { RequestRefusal, type Endpoint } from './types.js';

/**
 * The operator endpoints of the champion model: `models.status` → current, previous, pinned and refused versions;
 * `models.rollback` → `{ ok, version, replaced }` after returning to the previous admitted version and pinning it
 * (`rollback_refused` when there is none); `models.unpin` → `{ ok, unpinned, version, replaced? }` after leaving
 * the pin and following the newest admitted version again. Request bodies are ignored (send none).
 */
export function modelEndpoints(champion: ModelRegistry): Endpoint[] {
  return [
    { name: 'models.status', answer: () => champion.status() },
    {
      name: 'models.rollback',
      async answer() {
        const result = await champion.rollback();
        if (!result.ok) throw new RequestRefusal('rollback_refused', result.reason);
        return { ok: true, version: result.change.model.version, replaced: result.change.replaced.version };
      },
    },
    {
      name: 'models.unpin',
      async answer() {
        const result = await champion.unpin();
        return {
          ok: true,
          unpinned: result.unpinned,
          version: champion.current().version,
          ...(result.change === undefined ? {} : { replaced: result.change.replaced.version }),
        };
      },
    },
  ];
}
