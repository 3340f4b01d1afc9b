// Ordering of one topic's events by seq (docs/progress.md): each seq is applied once, in order.
// Events can arrive out of order (parallel steps) or twice (live and replayed); the server's
// `subscribed` frame ends a replay, after which whatever is held is all there is.
// Pure: no DOM, no socket (tests/browser/unit/seq.test.mjs).

export class TopicLog {
  constructor(applied = 0) {
    /** The highest seq handed out. A resubscription asks for what comes after it. */
    this.applied = applied;
    this.pending = new Map();
  }

  /** Takes a batch; returns the events now ready to apply, in seq order, each once. */
  accept(events) {
    for (const event of events ?? []) {
      const seq = Number(event?.seq);
      if (!Number.isInteger(seq) || seq <= this.applied || this.pending.has(seq)) continue;
      this.pending.set(seq, event);
    }
    const ready = [];
    while (this.pending.has(this.applied + 1)) {
      this.applied += 1;
      ready.push(this.pending.get(this.applied));
      this.pending.delete(this.applied);
    }
    return ready;
  }

  /**
   * The replay is complete: events held behind a gap are released in order (the gap's seqs
   * expired or were never stored, and waiting would stall the view).
   */
  flush() {
    const seqs = [...this.pending.keys()].sort((a, b) => a - b);
    const ready = seqs.map((seq) => this.pending.get(seq));
    this.pending.clear();
    if (seqs.length) this.applied = Math.max(this.applied, seqs[seqs.length - 1]);
    return ready;
  }
}
