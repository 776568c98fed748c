import { createActivation, planActivation, writeActivation, type ActivationPlan } from './activation.js';
import { changeReasons } from './change-reasons.js';
import { createDeadlineScheduler } from './timers.js';
import type { StateReader, StateWriter } from '../snapshot/state-io.js';

/** What identifies a rule's behaviour: a snapshot taken under other rules needs every customer re-evaluated. */
function ruleSignature(r: CompiledSegmentRule) {
  return { name: r.name, enter: r.enter.source, exit: r.exit.source, minDwellMs: r.minDwellMs };
}
import type {
  CompiledSegmentRule,
  SegmentActivation,
  SegmentChange,
  SegmentRuleSet,
  SegmentScores,
} from './types.js';

/** Per-customer segment memberships, columnar by slot, decided by a rule set with hysteresis and dwell. */
export interface SegmentMembership {
  /** The rules in force. */
  readonly ruleSet: SegmentRuleSet;
  /**
   * Applies the rules to one scored batch: a non-member enters when `enter` holds; a member leaves when `exit`
   * holds and it has been a member for at least `minDwellMs` (event time). Rules reading `pAlive` /
   * `expectedPurchases` are skipped for the batch when those columns are absent (memberships hold still).
   * @param slots the customers' slots, row order
   * @param rows rows to read (<= slots.length)
   * @param features rows x FEATURE_COUNT values, FEATURES order
   * @param nowMs each row's event time (one value for all rows, or one per row), epoch ms (the changes' `eventTime`)
   * @param customerId the id of a slot (called only for the rows that change)
   * @returns the flips, in row order then rule order (empty when nothing changed)
   */
  evaluate(
    slots: ArrayLike<number>,
    rows: number,
    features: Float32Array,
    scores: SegmentScores,
    nowMs: number | ArrayLike<number>,
    customerId: (slot: number) => string,
  ): SegmentChange[];
  /** Applies the rules to row `row` only (see {@link evaluate}), appending its flips to `out`. */
  evaluateRow(
    slot: number,
    row: number,
    features: Float32Array,
    scores: SegmentScores,
    nowMs: number,
    customerId: (slot: number) => string,
    out: SegmentChange[],
  ): void;
  /** Names of the segments `slot` belongs to, in rule order (for score updates). */
  segmentsOf(slot: number): string[];
  /** Names of the segments of a membership bitmask, in rule order. */
  namesOf(mask: number): string[];
  /**
   * Exits that were held back only by `minDwellMs` and whose dwell has ended by `limitMs` (event time), of every
   * customer: each member whose `exit` held at its last evaluation leaves at the moment its dwell ended, one flip
   * at a time in time order (each change carries the mask right after it). No features are needed. The caller
   * passes a limit no later than any evaluation still to come, so an exit never overtakes one of its customer's
   * evaluations.
   */
  dwellEnded(limitMs: number, customerId: (slot: number) => string): SegmentChange[];
  /** {@link dwellEnded} for one customer (before its own evaluation at `limitMs`). */
  dwellEndedOf(slot: number, limitMs: number, customerId: (slot: number) => string): SegmentChange[];
  /** The earliest pending dwell end, Infinity when none. */
  earliestDwellEnd(): number;
  /** The membership bitmask of `slot` (bit i = rule i). */
  maskOf(slot: number): number;
  /** Members per segment. */
  sizes(): Record<string, number>;
  /**
   * Installs new rules. Memberships (and their start times) of segments that keep their name are kept; new and
   * changed rules take effect the next time each customer is scored: re-score {@link slotsToRecheck}.
   */
  swapRules(next: SegmentRuleSet): void;
  /** Every slot evaluated so far (ascending): what to re-score after {@link swapRules}. */
  slotsToRecheck(): number[];
  /** Drops a slot's memberships without change events (GDPR erase, slot reuse). */
  forget(slot: number): void;
  /** Rule evaluations that threw and were counted as false, since creation. */
  readonly evaluationErrors: number;
  /** Writes slots `from` to `to`: memberships, dwell starts, held exits and counters; and the rules. */
  saveState(w: StateWriter, from: number, to: number): void;
  /**
   * Takes a snapshot's memberships, matched to the rules in force by segment name (a segment the snapshot does not
   * know starts empty). Returns false when the rules differ from the snapshot's: re-evaluate every customer then.
   */
  loadState(r: StateReader): boolean;
}

/**
 * Creates the membership table. Memory per customer: 4 B mask + 4 B held-exit mask + 4 B flip counter + 1 B seen
 * flag + 4 B per segment (the second, in event time, the current state began) + 8 B dwell deadline = 85 B for
 * 16 segments; arrays grow by doubling.
 * @param initialCapacity slots allocated up front @default 1024
 */
export function createSegmentMembership(ruleSet: SegmentRuleSet, initialCapacity = 1024): SegmentMembership {
  return new ColumnarMembership(ruleSet, Math.max(1, initialCapacity));
}

class ColumnarMembership implements SegmentMembership {
  // Fields initialised in one fixed order: one hidden class.
  ruleSet: SegmentRuleSet;
  evaluationErrors = 0;
  private rules: readonly CompiledSegmentRule[];
  private stride: number;
  private plan: ActivationPlan;
  private readonly act: SegmentActivation = createActivation();
  private capacity: number;
  private mask: Uint32Array;
  /** Bit i: `exit` of rule i held at the last evaluation but the member's dwell was not over. */
  private heldExits: Uint32Array;
  /** Flips per slot so far: the last part of an idempotency key, so two flips never share one. */
  private flips: Uint32Array;
  private seen: Uint8Array;
  /** ceil(eventTimeMs / 1000) when the current state (member or not) of (slot, rule) began; 0 = unknown. */
  private since: Uint32Array;
  private counts: Int32Array;
  /** Per slot, the earliest dwell end among its held exits. */
  private readonly dwellEnds = createDeadlineScheduler();

  constructor(ruleSet: SegmentRuleSet, capacity: number) {
    this.ruleSet = ruleSet;
    this.rules = ruleSet.rules;
    this.stride = Math.max(1, ruleSet.rules.length);
    this.plan = planActivation(ruleSet.variables);
    this.capacity = capacity;
    this.mask = new Uint32Array(capacity);
    this.heldExits = new Uint32Array(capacity);
    this.flips = new Uint32Array(capacity);
    this.seen = new Uint8Array(capacity);
    this.since = new Uint32Array(capacity * this.stride);
    this.counts = new Int32Array(this.stride);
  }

  evaluate(
    slots: ArrayLike<number>,
    rows: number,
    features: Float32Array,
    scores: SegmentScores,
    nowMs: number | ArrayLike<number>,
    customerId: (slot: number) => string,
  ): SegmentChange[] {
    const changes: SegmentChange[] = [];
    for (let r = 0; r < rows; r++) {
      const t = typeof nowMs === 'number' ? nowMs : (nowMs[r] as number);
      this.evaluateRow(slots[r] as number, r, features, scores, t, customerId, changes);
    }
    return changes;
  }

  evaluateRow(
    slot: number,
    row: number,
    features: Float32Array,
    scores: SegmentScores,
    nowMs: number,
    customerId: (slot: number) => string,
    out: SegmentChange[],
  ): void {
    const { rules, act, stride } = this;
    const n = rules.length;
    // Rounded up so a dwell computed from it is never longer than the truth: minDwellMs is never cut short.
    const nowSec = Math.ceil(nowMs / 1000);
    const haveBaseline = scores.pAlive !== undefined && scores.expectedPurchases !== undefined;
    const haveClv = scores.predictedClv !== undefined;
    if (slot >= this.capacity) this.grow(slot);
    const base = slot * stride;
    if (this.seen[slot] === 0) {
      this.seen[slot] = 1;
      this.since.fill(nowSec, base, base + n);
    }
    writeActivation(act, this.plan, features, scores, row);
    let m = this.mask[slot] as number;
    let held = 0;
    let dwellEnd = Infinity;
    for (let i = 0; i < n; i++) {
      const rule = rules[i] as CompiledSegmentRule;
      if ((rule.usesBaseline && !haveBaseline) || (rule.usesClv && !haveClv)) {
        // The membership holds still, and so does an exit it was holding back.
        if (((this.heldExits[slot] as number) >>> i) & 1) {
          held |= 1 << i;
          dwellEnd = Math.min(dwellEnd, (this.since[base + i] as number) * 1000 + rule.minDwellMs);
        }
        continue;
      }
      const member = ((m >>> i) & 1) === 1;
      const since = this.since[base + i] as number;
      if (since === 0) this.since[base + i] = nowSec; // a segment added by swapRules: state begins now
      const dwellMs = since === 0 ? 0 : Math.max(0, nowMs - since * 1000);
      const expr = member ? rule.exit : rule.enter;
      if (!this.test(expr.fn, act)) continue;
      if (member && dwellMs < rule.minDwellMs) {
        // Exit holds but the dwell is not over: remember it, so the member leaves when the dwell ends.
        held |= 1 << i;
        dwellEnd = Math.min(dwellEnd, since * 1000 + rule.minDwellMs);
        continue;
      }
      m = member ? m & ~(1 << i) : m | (1 << i);
      out.push(
        this.flip(
          slot,
          m,
          rule,
          member ? 'exited' : 'entered',
          changeReasons(expr, act),
          dwellMs,
          nowMs,
          nowSec,
          customerId,
        ),
      );
    }
    this.mask[slot] = m >>> 0;
    this.heldExits[slot] = held >>> 0;
    this.dwellEnds.schedule(slot, dwellEnd);
  }

  dwellEnded(limitMs: number, customerId: (slot: number) => string): SegmentChange[] {
    const out: SegmentChange[] = [];
    while (this.dwellEnds.earliest() <= limitMs) {
      const at: number[] = [];
      const slots = this.dwellEnds.due(limitMs, at);
      // Deadline order, then slot: the same order whatever batch this limit arrived in.
      const order = slots.map((_, k) => k).sort((a, b) => at[a]! - at[b]! || slots[a]! - slots[b]!);
      for (const k of order) this.leaveHeld(slots[k]!, limitMs, customerId, out);
    }
    return out;
  }

  dwellEndedOf(slot: number, limitMs: number, customerId: (slot: number) => string): SegmentChange[] {
    const out: SegmentChange[] = [];
    const at = this.dwellEnds.deadlineOf(slot);
    if (at < 0 || at > limitMs) return out;
    this.dwellEnds.cancel(slot);
    this.leaveHeld(slot, limitMs, customerId, out);
    return out;
  }

  earliestDwellEnd(): number {
    return this.dwellEnds.earliest();
  }

  /**
   * Lets the held exits of `slot` whose dwell has ended by `limitMs` happen, earliest first (ties in rule order),
   * each at its own dwell end, and re-arms the slot's next dwell end.
   */
  private leaveHeld(
    slot: number,
    limitMs: number,
    customerId: (slot: number) => string,
    out: SegmentChange[],
  ): void {
    const base = slot * this.stride;
    for (;;) {
      const held = this.heldExits[slot] as number;
      let first = -1;
      let firstEnd = Infinity;
      for (let i = 0; held !== 0 && i < this.rules.length; i++) {
        if (((held >>> i) & 1) === 0) continue;
        const endsAt =
          (this.since[base + i] as number) * 1000 + (this.rules[i] as CompiledSegmentRule).minDwellMs;
        if (endsAt < firstEnd) [first, firstEnd] = [i, endsAt];
      }
      if (first < 0 || firstEnd > limitMs) {
        this.dwellEnds.schedule(slot, firstEnd);
        return;
      }
      this.heldExits[slot] = (held & ~(1 << first)) >>> 0;
      const m = this.mask[slot] as number;
      if (((m >>> first) & 1) === 0) continue;
      this.mask[slot] = (m & ~(1 << first)) >>> 0;
      const rule = this.rules[first] as CompiledSegmentRule;
      const reason = [`minimum dwell of ${rule.minDwellMs} ms ended`, rule.exit.source];
      const nowSec = Math.ceil(firstEnd / 1000);
      out.push(
        this.flip(
          slot,
          this.mask[slot],
          rule,
          'exited',
          reason,
          rule.minDwellMs,
          firstEnd,
          nowSec,
          customerId,
        ),
      );
    }
  }

  /** Records a flip of (slot, rule) at `nowMs` and describes it. */
  private flip(
    slot: number,
    maskAfter: number,
    rule: CompiledSegmentRule,
    kind: 'entered' | 'exited',
    reason: string[],
    dwellMs: number,
    nowMs: number,
    nowSec: number,
    customerId: (slot: number) => string,
  ): SegmentChange {
    this.since[slot * this.stride + rule.index] = nowSec;
    this.counts[rule.index] = (this.counts[rule.index] as number) + (kind === 'exited' ? -1 : 1);
    const n = (this.flips[slot] = (this.flips[slot] as number) + 1);
    const id = customerId(slot);
    return {
      maskAfter: maskAfter >>> 0,
      segment: rule.name,
      customerId: id,
      slot,
      kind,
      reason,
      dwellMs,
      eventTime: nowMs,
      // Deterministic inputs only (the evaluation time and the customer's flip count), so a replay of the same
      // stream re-derives the same key whatever its batching.
      idempotencyKey: `${rule.name}:${id}:${kind}:${nowMs}:${n}`,
    };
  }

  segmentsOf(slot: number): string[] {
    return this.namesOf(slot < this.capacity ? (this.mask[slot] as number) : 0);
  }

  namesOf(mask: number): string[] {
    const out: string[] = [];
    for (let i = 0; mask !== 0 && i < this.rules.length; i++) {
      if ((mask >>> i) & 1) out.push((this.rules[i] as CompiledSegmentRule).name);
    }
    return out;
  }

  maskOf(slot: number): number {
    return slot < this.capacity ? (this.mask[slot] as number) : 0;
  }

  sizes(): Record<string, number> {
    const out: Record<string, number> = {};
    this.rules.forEach((rule, i) => (out[rule.name] = this.counts[i] as number));
    return out;
  }

  swapRules(next: SegmentRuleSet): void {
    const oldIndex = new Map(this.rules.map((r, i) => [r.name, i]));
    const stride = Math.max(1, next.rules.length);
    const since = new Uint32Array(this.capacity * stride);
    const counts = new Int32Array(stride);
    const carry = next.rules.map((r) => oldIndex.get(r.name) ?? -1);
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.seen[slot] === 0) continue;
      const m = this.mask[slot] as number;
      let nm = 0;
      for (let i = 0; i < carry.length; i++) {
        const j = carry[i] as number;
        if (j < 0) continue; // new segment: not a member, since = 0 (begins at the next evaluation)
        since[slot * stride + i] = this.since[slot * this.stride + j] as number;
        if ((m >>> j) & 1) {
          nm |= 1 << i;
          counts[i] = (counts[i] as number) + 1;
        }
      }
      this.mask[slot] = nm >>> 0;
    }
    // Held exits refer to the old rules; the re-evaluation that follows a swap decides them afresh.
    this.heldExits.fill(0);
    this.ruleSet = next;
    this.rules = next.rules;
    this.stride = stride;
    this.since = since;
    this.counts = counts;
    this.plan = planActivation(next.variables);
  }

  slotsToRecheck(): number[] {
    const out: number[] = [];
    for (let slot = 0; slot < this.capacity; slot++) if (this.seen[slot] === 1) out.push(slot);
    return out;
  }

  saveState(w: StateWriter, from: number, to: number): void {
    if (to > this.capacity) this.grow(to - 1);
    w.value('rules', this.rules.map(ruleSignature));
    w.array('mask', this.mask.subarray(from, to));
    w.array('heldExits', this.heldExits.subarray(from, to));
    w.array('flips', this.flips.subarray(from, to));
    w.array('seen', this.seen.subarray(from, to));
    w.array('since', this.since.subarray(from * this.stride, to * this.stride));
    w.array('dwellEnds', this.dwellEnds.saveDeadlines(from, to));
  }

  loadState(r: StateReader): boolean {
    const saved = r.value('rules') as { name: string }[];
    const mask = r.array('mask', Uint32Array);
    const held = r.array('heldExits', Uint32Array);
    const since = r.array('since', Uint32Array);
    const slots = mask.length;
    const oldStride = Math.max(1, saved.length);
    if (slots > 0) this.grow(slots - 1);
    this.flips.set(r.array('flips', Uint32Array));
    this.seen.set(r.array('seen', Uint8Array));
    const from = this.rules.map((rule) => saved.findIndex((x) => x.name === rule.name));
    for (let slot = 0; slot < slots; slot++) {
      let m = 0;
      let h = 0;
      from.forEach((j, i) => {
        if (j < 0) return; // a segment the snapshot does not know: not a member, state begins at next evaluation
        this.since[slot * this.stride + i] = since[slot * oldStride + j] as number;
        if (((mask[slot] as number) >>> j) & 1) {
          m |= 1 << i;
          this.counts[i] = (this.counts[i] as number) + 1;
        }
        if (((held[slot] as number) >>> j) & 1) h |= 1 << i;
      });
      this.mask[slot] = m >>> 0;
      this.heldExits[slot] = h >>> 0;
    }
    this.dwellEnds.loadDeadlines(r.array('dwellEnds', Float64Array));
    const now = JSON.stringify(this.rules.map(ruleSignature));
    return now === JSON.stringify(saved);
  }

  forget(slot: number): void {
    if (slot >= this.capacity) return;
    const m = this.mask[slot] as number;
    for (let i = 0; i < this.rules.length; i++)
      if ((m >>> i) & 1) this.counts[i] = (this.counts[i] as number) - 1;
    this.mask[slot] = 0;
    this.heldExits[slot] = 0;
    this.flips[slot] = 0;
    this.seen[slot] = 0;
    this.since.fill(0, slot * this.stride, (slot + 1) * this.stride);
    this.dwellEnds.cancel(slot);
  }

  private test(fn: (act: SegmentActivation) => unknown, act: SegmentActivation): boolean {
    try {
      return fn(act) === true;
    } catch {
      this.evaluationErrors++;
      return false;
    }
  }

  private grow(slot: number): void {
    let cap = this.capacity;
    while (cap <= slot) cap *= 2;
    const mask = new Uint32Array(cap);
    mask.set(this.mask);
    const heldExits = new Uint32Array(cap);
    heldExits.set(this.heldExits);
    const flips = new Uint32Array(cap);
    flips.set(this.flips);
    const seen = new Uint8Array(cap);
    seen.set(this.seen);
    const since = new Uint32Array(cap * this.stride);
    since.set(this.since);
    this.mask = mask;
    this.heldExits = heldExits;
    this.flips = flips;
    this.seen = seen;
    this.since = since;
    this.capacity = cap;
  }
}
