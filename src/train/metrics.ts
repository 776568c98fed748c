/**
 * Offline metrics of a probabilistic binary classifier: ranking (ROC-AUC, PR-AUC) and calibration (Brier,
 * log loss). Labels are 1 = positive (churned); scores are probabilities or any monotone score.
 */

/**
 * Area under the ROC curve: the probability that a random positive scores above a random negative, ties
 * counted half (Mann-Whitney U with average ranks). NaN when one class is absent.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = sortedOrder(scores);
  let pos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n;) {
    // A run of tied scores shares the average of its ranks (1-based).
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        pos++;
        rankSumPos += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Area under the precision-recall curve as average precision: the mean, over positives, of the precision at
 * the threshold that first admits them (tied scores admitted together). Its no-skill level is the positive
 * rate. NaN when there is no positive.
 */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = sortedOrder(scores).reverse();
  let totalPos = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) totalPos++;
  if (totalPos === 0) return NaN;
  let tp = 0;
  let ap = 0;
  for (let i = 0; i < n;) {
    let j = i;
    let runPos = 0;
    while (j < n && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!] === 1) runPos++;
      j++;
    }
    tp += runPos;
    ap += (runPos / totalPos) * (tp / j);
    i = j;
  }
  return ap;
}

/** Mean squared error of probabilities against 0/1 labels (0 is perfect, 0.25 is a coin flip). NaN when empty. */
export function brierScore(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < probs.length; i++) {
    const d = probs[i]! - labels[i]!;
    sum += d * d;
  }
  return sum / probs.length;
}

/** Mean binary cross-entropy, nats; probabilities clipped to [1e-7, 1 - 1e-7]. NaN when empty. */
export function logLoss(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, probs[i]!));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / probs.length;
}

/** Indices ordered by ascending score (a typed-array sort of indices; NaN scores sort last). */
function sortedOrder(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => {
    const x = scores[a]!;
    const y = scores[b]!;
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
    return Number.isNaN(y) ? -1 : x - y;
  });
}
