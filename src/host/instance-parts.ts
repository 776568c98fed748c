import { createInbox, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ChurnflowError, ERROR_CODES, type ErrorCode } from '../contract/codes.js';
import type { Aggregates, SegmentSummary } from '../engine/index.js';
import type { DryRunResult } from '../segment/index.js';
import type { EngineGroup } from './engine-group.js';
import { mergeAggregates, mergeDryRuns, mergeSegments } from './merge.js';
import { clipText, dryRunOf, type RequestLimits } from '../requests/index.js';

// An error's message travels in a part; bounded so that the part always fits a NATS message.
const ERROR_MESSAGE_LIMIT = 1024;

/**
 * Questions about every customer when the customers are spread over instances: the instance a request reaches asks
 * every instance for the part its partitions hold (`<prefix>.parts.<question>`, answered by all) and merges the
 * parts once they cover every partition. Instances answer only for partitions they work on now, so a partition is
 * never counted twice; a partition nobody holds (its owner died, its lease not yet taken over) leaves the answer
 * incomplete, which is refused rather than passed off as the whole.
 */

/** One instance's part of an answer. */
interface Part<T> {
  readonly partitions: readonly number[];
  readonly result?: T;
  /** An engine error code, or `internal`. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** What {@link instanceParts} needs. */
export interface InstancePartsDeps {
  readonly nc: NatsConnection;
  /** Request prefix (`publish.prefix`). */
  readonly prefix: string;
  readonly group: EngineGroup;
  readonly log: Logger;
  /** How long to wait for the parts of every partition (ms); a dry run adds its own budget. */
  readonly waitMs: number;
  /** The limits of the public requests: a part's question is checked as strictly as the request it serves. */
  readonly limits: RequestLimits;
  readonly dryRunTimeoutMs: number;
}

/** The group questions answered over every instance, and this instance's answers to the others. */
export interface InstanceParts {
  segments(): Promise<SegmentSummary[]>;
  aggregates(): Promise<Aggregates>;
  dryRun(rule: string, sampleSize: number): Promise<DryRunResult>;
  stop(): void;
}

/** Serves this instance's parts and gathers every instance's. */
export function instanceParts(deps: InstancePartsDeps): InstanceParts {
  const { nc, prefix, group } = deps;
  const subject = (question: string) => `${prefix}.parts.${question}`;
  const answer = <T>(question: string, work: (body: unknown) => T | Promise<T>) =>
    nc.subscribe(subject(question), {
      callback: (err, msg) => {
        if (err !== null) {
          deps.log.error(
            { err, question },
            'parts subscription failed: questions about every customer will fail',
          );
          return;
        }
        void (async () => {
          const partitions = group.held();
          let part: Part<T>;
          try {
            if (msg.data.length > deps.limits.maxBodyBytes) throw new Error('question body too large');
            const body = msg.data.length === 0 ? {} : msg.json<unknown>();
            part = { partitions, result: await work(body) };
          } catch (err) {
            const code = err instanceof ChurnflowError ? err.code : 'internal';
            const message = clipText(err instanceof Error ? err.message : String(err), ERROR_MESSAGE_LIMIT);
            part = { partitions, error: { code, message } };
          }
          try {
            msg.respond(JSON.stringify(part));
          } catch (err) {
            deps.log.warn({ err, question }, 'part of a group answer not sent');
          }
        })();
      },
    });
  const subs: Subscription[] = [
    answer('segments', () => group.segments()),
    answer('aggregates', () => group.aggregates()),
    answer('dryrun', (body) => {
      const { rule, sample } = dryRunOf(body, deps.limits.maxRuleLength);
      return group.dryRun(rule, sample);
    }),
  ];
  const gather = <T>(question: string, body: object, waitMs: number): Promise<T[]> =>
    new Promise((resolve, reject) => {
      const inbox = createInbox();
      const covered = new Set<number>();
      const results: T[] = [];
      const finish = (err?: Error) => {
        clearTimeout(timer);
        sub.unsubscribe();
        if (err === undefined) resolve(results);
        else reject(err);
      };
      const sub = nc.subscribe(inbox, {
        callback: (_err, msg) => {
          const part = msg.json<Part<T>>();
          if (part.error !== undefined) return finish(partError(part.error));
          // A partition handed over while both answered is counted once (the later answer's part is dropped).
          if (part.partitions.some((p) => covered.has(p))) return;
          for (const p of part.partitions) covered.add(p);
          if (part.result !== undefined && part.partitions.length > 0) results.push(part.result);
          if (covered.size === group.count) finish();
        },
      });
      const timer = setTimeout(() => {
        const missing = group.count - covered.size;
        finish(
          new ChurnflowError(
            'PARTITIONS_INCOMPLETE',
            `${missing} of ${group.count} partitions answered by no instance within ${waitMs} ms (being taken over?)`,
          ),
        );
      }, waitMs);
      nc.publish(subject(question), JSON.stringify(body), { reply: inbox });
    });
  return {
    segments: async () => mergeSegments(await gather<SegmentSummary[]>('segments', {}, deps.waitMs)),
    aggregates: async () => mergeAggregates(await gather<Aggregates>('aggregates', {}, deps.waitMs)),
    dryRun: async (rule, sample) =>
      mergeDryRuns(
        await gather<DryRunResult>('dryrun', { rule, sample }, deps.waitMs + deps.dryRunTimeoutMs),
        sample,
      ),
    stop: () => subs.forEach((s) => s.unsubscribe()),
  };
}

/** An instance's coded failure as this instance's own (a rule refused is refused here too). */
function partError(error: { readonly code: string; readonly message: string }): Error {
  return error.code in ERROR_CODES
    ? new ChurnflowError(error.code as ErrorCode, error.message)
    : new Error(`another instance failed: ${error.message}`);
}
