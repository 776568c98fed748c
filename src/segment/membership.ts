import { createActivation, planActivation, writeActivation, type ActivationPlan } from './activation.js';
import { changeReasons } from './change-reasons.js';
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
   * @param nowMs the batch's event time, epoch ms (the changes' `eventTime`)
   * @param customerId the id of a slot (called only for the rows that change)
   * @returns the flips, in row order then rule order (empty when nothing changed)
   */
  evaluate(
    slots: ArrayLike<number>,
    rows: number,
    features: Float32Array,
    scores: SegmentScores,
    nowMs: number,
    customerId: (slot: number) => string,
  ): SegmentChange[];
  /** Names of the segments `slot` belongs to, in rule order (for score updates). */
  segmentsOf(slot: number): string[];
  /**
   * The earliest moment (epoch ms) after `nowMs` at which a membership of `slot` leaves its `minDwellMs`, so
   * an exit that already holds can happen without waiting for another event; Infinity when none is pending.
   */
  dwellEndsAt(slot: number, nowMs: number): number;
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
}

/**
 * Creates the membership table. Memory per customer: 4 B mask + 1 B seen flag + 4 B per segment (the second,
 * in event time, the current state began) = 69 B for 16 segments; arrays grow by doubling.
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
  private seen: Uint8Array;
  /** ceil(eventTimeMs / 1000) when the current state (member or not) of (slot, rule) began; 0 = unknown. */
  private since: Uint32Array;
  private counts: Int32Array;

  constructor(ruleSet: SegmentRuleSet, capacity: number) {
    this.ruleSet = ruleSet;
    this.rules = ruleSet.rules;
    this.stride = Math.max(1, ruleSet.rules.length);
    this.plan = planActivation(ruleSet.variables);
    this.capacity = capacity;
    this.mask = new Uint32Array(capacity);
    this.seen = new Uint8Array(capacity);
    this.since = new Uint32Array(capacity * this.stride);
    this.counts = new Int32Array(this.stride);
  }

  evaluate(
    slots: ArrayLike<number>,
    rows: number,
    features: Float32Array,
    scores: SegmentScores,
    nowMs: number,
    customerId: (slot: number) => string,
  ): SegmentChange[] {
    const changes: SegmentChange[] = [];
    const { rules, act, stride } = this;
    const n = rules.length;
    // Rounded up so a dwell computed from it is never longer than the truth: minDwellMs is never cut short.
    const nowSec = Math.ceil(nowMs / 1000);
    const haveBaseline = scores.pAlive !== undefined && scores.expectedPurchases !== undefined;
    for (let r = 0; r < rows; r++) {
      const slot = slots[r] as number;
      if (slot >= this.capacity) this.grow(slot);
      const base = slot * stride;
      if (this.seen[slot] === 0) {
        this.seen[slot] = 1;
        this.since.fill(nowSec, base, base + n);
      }
      writeActivation(act, this.plan, features, scores, r);
      let m = this.mask[slot] as number;
      for (let i = 0; i < n; i++) {
        const rule = rules[i] as CompiledSegmentRule;
        if (rule.usesBaseline && !haveBaseline) continue;
        const member = ((m >>> i) & 1) === 1;
        const since = this.since[base + i] as number;
        if (since === 0) this.since[base + i] = nowSec; // a segment added by swapRules: state begins now
        const dwellMs = since === 0 ? 0 : Math.max(0, nowMs - since * 1000);
        const expr = member ? rule.exit : rule.enter;
        if (member && dwellMs < rule.minDwellMs) continue;
        if (!this.test(expr.fn, act)) continue;
        m = member ? m & ~(1 << i) : m | (1 << i);
        this.since[base + i] = nowSec;
        this.counts[i] = (this.counts[i] as number) + (member ? -1 : 1);
        const id = customerId(slot);
        const kind = member ? 'exited' : 'entered';
        changes.push({
          segment: rule.name,
          customerId: id,
          slot,
          kind,
          reason: changeReasons(expr, act),
          dwellMs,
          eventTime: nowMs,
          idempotencyKey: `${rule.name}:${id}:${kind}:${nowMs}`,
        });
      }
      this.mask[slot] = m >>> 0;
    }
    return changes;
  }

  dwellEndsAt(slot: number, nowMs: number): number {
    let next = Infinity;
    const m = slot < this.capacity ? (this.mask[slot] as number) : 0;
    const base = slot * this.stride;
    for (let i = 0; m !== 0 && i < this.rules.length; i++) {
      const dwell = (this.rules[i] as CompiledSegmentRule).minDwellMs;
      if (dwell === 0 || ((m >>> i) & 1) === 0) continue;
      const ends = (this.since[base + i] as number) * 1000 + dwell;
      if (ends > nowMs && ends < next) next = ends;
    }
    return next;
  }

  segmentsOf(slot: number): string[] {
    const m = slot < this.capacity ? (this.mask[slot] as number) : 0;
    const out: string[] = [];
    for (let i = 0; m !== 0 && i < this.rules.length; i++) {
      if ((m >>> i) & 1) out.push((this.rules[i] as CompiledSegmentRule).name);
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

  forget(slot: number): void {
    if (slot >= this.capacity) return;
    const m = this.mask[slot] as number;
    for (let i = 0; i < this.rules.length; i++)
      if ((m >>> i) & 1) this.counts[i] = (this.counts[i] as number) - 1;
    this.mask[slot] = 0;
    this.seen[slot] = 0;
    this.since.fill(0, slot * this.stride, (slot + 1) * this.stride);
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
    const seen = new Uint8Array(cap);
    seen.set(this.seen);
    const since = new Uint32Array(cap * this.stride);
    since.set(this.since);
    this.mask = mask;
    this.seen = seen;
    this.since = since;
    this.capacity = cap;
  }
}
