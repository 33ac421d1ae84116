// Samples a DNS answer all along a scenario (every 100–250 ms, as fast as the query allows), so a
// test can say what was never answered, not only what is answered at the end.
export interface Sample {
  at: number;
  answer: string;
}

export class AnswerSampler {
  readonly samples: Sample[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  /** `query` gives the answer as one string (failures are sampled as "query failed: ..."). */
  constructor(query: () => Promise<string>, everyMs = 150) {
    this.loop = (async () => {
      while (this.running) {
        const answer = await query().catch((e: Error) => `query failed: ${e.message.split('\n')[0] ?? ''}`);
        this.samples.push({ at: Date.now(), answer });
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  /** Samples taken at or after `since` (epoch ms) whose answer contains `text`. */
  containing(text: string, since = 0): Sample[] {
    return this.samples.filter((s) => s.at >= since && s.answer.includes(text));
  }

  /** The first sample at or after `since` whose answer contains `text`. */
  first(text: string, since = 0): Sample | undefined {
    return this.containing(text, since)[0];
  }

  async stop(): Promise<Sample[]> {
    this.running = false;
    await this.loop;
    return this.samples;
  }
}
