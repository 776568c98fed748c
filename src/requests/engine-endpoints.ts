import { ChurnflowError } from '../contract/codes.js';
import type { Engine } from '../engine/index.js';
import type { EraseResult } from '../erase/index.js';
import { clipText } from './body.js';
import { ECHO_LIMIT, customerIdOf, dryRunOf } from './shapes.js';
import { AnsweredElsewhere, RequestRefusal, type Endpoint } from './types.js';

/** Questions about every customer may be gathered from several instances (src/host): answers may be promises. */
type Whole<T> = T | Promise<T>;

/**
 * What the engine endpoints ask of the engine; `holds` (partitioned instances) says whether the customer's
 * partition is worked here: when not, the instance that holds it answers and this one stays silent.
 */
export type RequestEngine = Pick<Engine, 'profile'> & {
  segments(): Whole<ReturnType<Engine['segments']>>;
  aggregates(): Whole<ReturnType<Engine['aggregates']>>;
  dryRun(rule: string, sampleSize: number): ReturnType<Engine['dryRun']>;
  readonly holds?: (customerId: string) => boolean;
};

/** Some partitions answered by no instance: a partial answer is refused, not passed off as the whole. */
function incomplete(err: unknown): never {
  if (err instanceof ChurnflowError && err.code === 'PARTITIONS_INCOMPLETE')
    throw new RequestRefusal('partitions_incomplete', err.message);
  throw err;
}

/** Another instance answers for a customer whose partition this one does not hold. */
function leaveToOwner(holds: ((customerId: string) => boolean) | undefined, customerId: string): void {
  if (holds !== undefined && !holds(customerId)) throw new AnsweredElsewhere();
}

// A refused rule's message quotes the rule; the rule is bounded by requests.maxRuleLength, the quote by this.
const RULE_MESSAGE_LIMIT = 1024;

/**
 * `customers.erase` `{ customerId }` (GDPR; give it to admins only): the customer's state, events and snapshots are
 * erased and a tombstone published (see src/erase); `not_found` when unknown, `erase_failed` when the engine forgot
 * it but the purge or the snapshot rewrite failed (an erase may be repeated).
 */
export function eraseEndpoint(
  erase: (customerId: string) => Promise<EraseResult | undefined>,
  holds?: (customerId: string) => boolean,
): Endpoint {
  return {
    name: 'customers.erase',
    async answer(body) {
      const customerId = customerIdOf(body);
      leaveToOwner(holds, customerId);
      let result: EraseResult | undefined;
      try {
        result = await erase(customerId);
      } catch (err) {
        throw new RequestRefusal('erase_failed', clipText(String(err), RULE_MESSAGE_LIMIT));
      }
      if (result === undefined) {
        throw new RequestRefusal(
          'not_found',
          `no customer ${JSON.stringify(clipText(customerId, ECHO_LIMIT))}`,
        );
      }
      return result;
    },
  };
}

/**
 * The engine's request endpoints: `customers.get` `{ customerId }` → the customer's profile (`not_found` when
 * unknown); `segments.list` → `{ segments }`; `segments.dryrun` `{ rule, sample? }` → `{ matches, evaluated,
 * sample }` (`rule_refused` when the rule does not compile); `aggregates.get` → the last complete pass
 * (`not_ready` before the first one).
 */
export function engineEndpoints(engine: RequestEngine): Endpoint[] {
  return [
    {
      name: 'customers.get',
      async answer(body) {
        const customerId = customerIdOf(body);
        leaveToOwner(engine.holds, customerId);
        const profile = await engine.profile(customerId).catch((err: unknown) => {
          if (err instanceof ChurnflowError && err.code === 'PARTITION_RESTORING')
            throw new RequestRefusal('not_ready', err.message);
          throw err;
        });
        if (profile === undefined) {
          throw new RequestRefusal(
            'not_found',
            `no customer ${JSON.stringify(clipText(customerId, ECHO_LIMIT))}`,
          );
        }
        return profile;
      },
    },
    {
      name: 'segments.list',
      answer: async () => ({ segments: await Promise.resolve(engine.segments()).catch(incomplete) }),
    },
    {
      name: 'segments.dryrun',
      async answer(body, limits) {
        const { rule, sample } = dryRunOf(body, limits.maxRuleLength);
        try {
          return await engine.dryRun(rule, sample);
        } catch (err) {
          // The rule compiler's refusals are SEGMENTS_INVALID; other coded errors (a time budget, shutdown) end
          // the run, not the rule; anything else is the engine's own failure, answered as internal.
          if (!(err instanceof ChurnflowError)) throw err;
          if (err.code === 'PARTITIONS_INCOMPLETE') incomplete(err);
          const message = clipText(err.message, RULE_MESSAGE_LIMIT);
          if (err.code === 'SEGMENTS_INVALID') throw new RequestRefusal('rule_refused', message);
          throw new RequestRefusal('dry_run_failed', `${err.code}: ${message}`);
        }
      },
    },
    {
      name: 'aggregates.get',
      async answer() {
        const aggregates = await Promise.resolve(engine.aggregates()).catch(incomplete);
        if (aggregates.passes === 0) {
          throw new RequestRefusal(
            'not_ready',
            'no aggregates yet: the first pass over every customer has not completed (see aggregates.passMs)',
          );
        }
        return aggregates;
      },
    },
  ];
}
