import { describe, it, expect } from 'vitest';
import type { CustomerEvent } from '../../src/contract/event.js';
import { DAY_MS, createSimulator, type ChurnEpisode, type GroundTruth } from '../../src/simulate/index.js';

const START = Date.UTC(2025, 0, 1);
const DAYS = 180;
const END = START + DAYS * DAY_MS;

// One half-year of a mid-sized population, shared by the read-only checks (about 1 s to generate).
const sim = createSimulator({ customers: 2000, seed: 7, startMs: START });
const byCustomer = new Map<string, CustomerEvent[]>();
for (const e of sim.eventsBetween(START, END)) {
  const list = byCustomer.get(e.customerId);
  if (list === undefined) byCustomer.set(e.customerId, [e]);
  else list.push(e);
}
const truths: GroundTruth[] = [...Array(sim.customers).keys()].map((i) =>
  sim.groundTruth(sim.customerId(i))!,
);
const episodes = truths.flatMap((t) => t.episodes.map((ep) => ({ t, ep })));

// Independent of the code under test: a brand's send and a cancel are not the customer's own activity.
const own = (e: CustomerEvent): boolean => e.type !== 'message_sent' && e.type !== 'cancel';
const eventsOf = (t: GroundTruth): CustomerEvent[] => byCustomer.get(t.customerId) ?? [];
const ownBetween = (t: GroundTruth, from: number, to: number): number =>
  eventsOf(t).filter((e) => own(e) && e.ts >= from && e.ts < to).length;
const inWindow = (ms: number | null, marginDays = 0): boolean =>
  ms !== null && ms >= START + marginDays * DAY_MS && ms < END - marginDays * DAY_MS;
const share = <T>(items: readonly T[], test: (x: T) => boolean): number =>
  items.filter(test).length / items.length;

describe('churn episodes', () => {
  it('are ordered: drift, then leaving, then any return, one episode after another', () => {
    const problems: string[] = [];
    for (const t of truths) {
      let previous: ChurnEpisode | undefined;
      for (const ep of t.episodes) {
        if (!(ep.driftFromMs < ep.leftAtMs)) problems.push(`drift after leaving: ${t.customerId}`);
        if (ep.returnedAtMs !== null && !(ep.returnedAtMs > ep.leftAtMs))
          problems.push(`early return: ${t.customerId}`);
        if (
          previous !== undefined &&
          !(previous.returnedAtMs !== null && previous.returnedAtMs <= ep.driftFromMs)
        )
          problems.push(`overlapping episodes: ${t.customerId}`);
        previous = ep;
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(episodes.filter(({ ep }) => inWindow(ep.leftAtMs)).length).toBeGreaterThan(300);
  });

  it('end in a latent leaving date: own activity nearly stops, brand sends go on', () => {
    const gone = episodes.filter(
      ({ ep }) => inWindow(ep.leftAtMs, 30) && (ep.returnedAtMs === null || ep.returnedAtMs > END),
    );
    expect(gone.length).toBeGreaterThan(50);
    let before = 0;
    let after = 0;
    for (const { t, ep } of gone) {
      before += ownBetween(t, ep.leftAtMs - 30 * DAY_MS, ep.leftAtMs);
      after += ownBetween(t, ep.leftAtMs, Math.min(END, ep.leftAtMs + 30 * DAY_MS));
    }
    expect(after).toBeLessThan(before * 0.1);
    const stillSent = share(gone, ({ t, ep }) =>
      eventsOf(t).some((e) => e.type === 'message_sent' && e.ts > ep.leftAtMs),
    );
    expect(stillSent).toBeGreaterThan(0.5);
  });

  it('are followed by returns, some won back by an offer the customer clicked', () => {
    const returns = episodes.filter(({ ep }) => inWindow(ep.returnedAtMs) && ep.leftAtMs >= START);
    const byOffer = returns.filter(({ ep }) => ep.wonBackByOffer);
    expect(returns.length).toBeGreaterThan(30);
    expect(byOffer.length).toBeGreaterThan(5);
    expect(byOffer.length).toBeLessThan(returns.length);
    // The offer's click comes within hours before the return; the customer is active again afterwards.
    for (const { t, ep } of byOffer) {
      const r = ep.returnedAtMs!;
      expect(
        eventsOf(t).some((e) => e.type === 'message_click' && e.ts <= r && e.ts > r - 8 * 3_600_000),
      ).toBe(true);
    }
    expect(share(returns, ({ t, ep }) => ownBetween(t, ep.returnedAtMs!, END) > 0)).toBeGreaterThan(0.8);
  });
});

describe('the decline before leaving', () => {
  // Declines of three weeks or more, wholly inside the window, after a month of ordinary history (signed up, not
  // away in an earlier episode).
  const declines = episodes.filter(
    ({ t, ep }) =>
      ep.driftFromMs >= START + 30 * DAY_MS &&
      t.signupMs <= ep.driftFromMs - 30 * DAY_MS &&
      !t.episodes.some(
        (other) =>
          other !== ep &&
          (other.returnedAtMs ?? END) > ep.driftFromMs - 30 * DAY_MS &&
          other.leftAtMs < ep.leftAtMs,
      ) &&
      ep.leftAtMs < END &&
      ep.leftAtMs - ep.driftFromMs >= 21 * DAY_MS,
  );

  it('is gradual: activity per day falls from before the drift to its first half, its second half, and after', () => {
    expect(declines.length).toBeGreaterThan(50);
    const rate = [0, 0, 0, 0];
    const days = [0, 0, 0, 0];
    for (const { t, ep } of declines) {
      const mid = (ep.driftFromMs + ep.leftAtMs) / 2;
      const after = Math.min(END, ep.returnedAtMs ?? END, ep.leftAtMs + 30 * DAY_MS);
      const spans: [number, number][] = [
        [ep.driftFromMs - 30 * DAY_MS, ep.driftFromMs],
        [ep.driftFromMs, mid],
        [mid, ep.leftAtMs],
        [ep.leftAtMs, after],
      ];
      spans.forEach(([from, to], k) => {
        rate[k]! += ownBetween(t, from, to);
        days[k]! += (to - from) / DAY_MS;
      });
    }
    const perDay = rate.map((r, k) => r / days[k]!);
    expect(perDay[0]).toBeGreaterThan(perDay[1]!);
    expect(perDay[1]).toBeGreaterThan(perDay[2]!);
    expect(perDay[2]).toBeGreaterThan(perDay[3]! * 3);
  });

  it('is noisy, not a fade to zero: most drifting customers are still active in its last quarter', () => {
    const lateActive = share(
      declines,
      ({ t, ep }) => ownBetween(t, ep.leftAtMs - (ep.leftAtMs - ep.driftFromMs) / 4, ep.leftAtMs) > 0,
    );
    expect(lateActive).toBeGreaterThan(0.5);
    // Weekly activity does not fall week after week for everyone: good weeks interrupt the decline.
    const monotone = share(declines, ({ t, ep }) => {
      const weeks: number[] = [];
      for (let w = ep.driftFromMs; w + 7 * DAY_MS <= ep.leftAtMs; w += 7 * DAY_MS)
        weeks.push(ownBetween(t, w, w + 7 * DAY_MS));
      return weeks.every((n, k) => k === 0 || n <= weeks[k - 1]!);
    });
    expect(monotone).toBeLessThan(0.6);
  });
});

describe('cancel', () => {
  it('is neither the only nor a perfect signal of leaving', () => {
    const leavers = episodes.filter(({ ep }) => inWindow(ep.leftAtMs));
    // Most churners never cancel (non-members cannot, many members do not bother).
    expect(share(leavers, ({ ep }) => ep.cancelAtMs === null)).toBeGreaterThan(0.6);
    // Cancels come before and after the leaving date, some weeks after.
    const withCancel = leavers.filter(({ ep }) => ep.cancelAtMs !== null);
    expect(withCancel.some(({ ep }) => ep.cancelAtMs! < ep.leftAtMs)).toBe(true);
    expect(withCancel.some(({ ep }) => ep.cancelAtMs! > ep.leftAtMs + 7 * DAY_MS)).toBe(true);
    // Some cancel a membership and stay: their own activity goes on in the month after the cancel.
    const stayers = truths.flatMap((t) =>
      t.cancelsAtMs
        .filter((c) => inWindow(c, 30) && !t.episodes.some((ep) => ep.cancelAtMs === c))
        .map((c) => ({ t, c })),
    );
    expect(stayers.length).toBeGreaterThan(3);
    expect(share(stayers, ({ t, c }) => ownBetween(t, c, c + 30 * DAY_MS) > 0)).toBeGreaterThan(0.5);
  });
});

describe('what drives the hazard', () => {
  it('bad experiences raise it without deciding it', () => {
    const drifts = episodes.filter(({ ep }) => inWindow(ep.driftFromMs));
    const recentBad = (t: GroundTruth, at: number): boolean =>
      t.badExperiencesMs.some((b) => b <= at && b > at - 45 * DAY_MS);
    const beforeDrift = share(drifts, ({ t, ep }) => recentBad(t, ep.driftFromMs));
    // The same check at fixed days for every customer signed up by then.
    const probes = truths.flatMap((t) =>
      [40, 80, 120, 160]
        .map((d) => START + d * DAY_MS)
        .filter((ms) => ms > t.signupMs)
        .map((ms) => ({ t, ms })),
    );
    const atRandom = share(probes, ({ t, ms }) => recentBad(t, ms));
    expect(beforeDrift).toBeGreaterThan(1.5 * atRandom);
    // Many churners had no bad experience at all in the quarter before drifting.
    expect(
      share(
        drifts,
        ({ t, ep }) =>
          !t.badExperiencesMs.some((b) => b <= ep.driftFromMs && b > ep.driftFromMs - 90 * DAY_MS),
      ),
    ).toBeGreaterThan(0.4);
  });

  it('bad experiences show as tickets most of the time, not always', () => {
    const bad = truths.flatMap((t) =>
      t.badExperiencesMs.filter((ms) => inWindow(ms)).map((ms) => ({ t, ms })),
    );
    expect(bad.length).toBeGreaterThan(100);
    const ticketed = share(bad, ({ t, ms }) =>
      eventsOf(t).some((e) => e.type === 'support_ticket' && e.ts === ms),
    );
    expect(ticketed).toBeGreaterThan(0.6);
    expect(ticketed).toBeLessThan(0.95);
  });
});

describe('seasonality', () => {
  it('makes weekends busier than midweek', () => {
    const sessionsByWeekday = [0, 0, 0, 0, 0, 0, 0];
    for (const list of byCustomer.values()) {
      for (const e of list) if (e.type === 'session') sessionsByWeekday[new Date(e.ts).getUTCDay()]!++;
    }
    const weekend = (sessionsByWeekday[0]! + sessionsByWeekday[6]!) / 2;
    const midweek = (sessionsByWeekday[2]! + sessionsByWeekday[3]!) / 2;
    expect(weekend).toBeGreaterThan(1.15 * midweek);
  });

  it('makes November busier than July for the same customers', () => {
    // Same seed and options, so the same customers and latent life courses relative to the start; only the season differs.
    const sessions = (start: number): number =>
      createSimulator({ customers: 600, seed: 3, startMs: start })
        .eventsBetween(start, start + 28 * DAY_MS)
        .filter((e) => e.type === 'session').length;
    expect(sessions(Date.UTC(2025, 10, 3))).toBeGreaterThan(1.25 * sessions(Date.UTC(2025, 6, 7)));
  });
});
