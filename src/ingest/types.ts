/** One message as it arrived from the source, before decoding. */
export interface InboundMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** The Content-Type header, when present. */
  readonly contentType: string | undefined;
  /** JetStream stream sequence (1-based); for file and simulator sources, a running count. */
  readonly streamSeq: number;
  /** When the message was stored by JetStream (or produced), epoch ms; used for the freshness histogram. */
  readonly publishedAtMs: number;
}

/** A pull batch: messages in stream order plus one acknowledgement for all of them. */
export interface InboundBatch {
  readonly messages: readonly InboundMessage[];
  /** Acknowledges every message of the batch (one protocol message, not one per event). */
  ack(): void;
  /**
   * Messages the source still had to deliver after this batch when it was delivered (a JetStream consumer's
   * pending count); undefined for sources that cannot tell (files, the simulator).
   */
  readonly pending?: number;
}
