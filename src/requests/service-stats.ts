import type { RequestOutcome } from './handler.js';
import type { EndpointInfo, EndpointStats } from './micro.js';

/**
 * One endpoint's counters for the micro protocol's STATS: requests this instance answered (a customer request left
 * to the instance that owns the customer is not counted: it was not answered here), the errors among them and the
 * time from arrival to reply. Counted when the reply is sent, not when the handler returns, so an asynchronous
 * answer (a dry run takes seconds) is timed whole and its coded error counted.
 */
export class EndpointCounters {
  // Fields set in one order in the constructor: every endpoint's counters share one hidden class.
  private requests = 0;
  private errors = 0;
  private lastError = '';
  private processingNs = 0;

  /** Counts one request's outcome. */
  record(outcome: RequestOutcome): void {
    if (outcome.outcome === 'elsewhere') return;
    this.requests++;
    this.processingNs += Math.round(outcome.seconds * 1e9);
    if (outcome.error !== undefined) {
      this.errors++;
      this.lastError = outcome.error;
    }
  }

  /** The counters as STATS reports them for the endpoint `info` describes. */
  stats(info: EndpointInfo): EndpointStats {
    return {
      name: info.name,
      subject: info.subject,
      queue_group: info.queue_group,
      num_requests: this.requests,
      num_errors: this.errors,
      last_error: this.lastError,
      processing_time: this.processingNs,
      average_processing_time: this.requests === 0 ? 0 : Math.round(this.processingNs / this.requests),
    };
  }
}
