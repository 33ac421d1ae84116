// Replaces one fixed string with another in a stream of text that arrives in chunks (an API
// server's list answers and watch streams), whatever the chunk boundaries: the last bytes that
// could be the start of the string are held back until the next chunk, or the end.
import { StringDecoder } from 'node:string_decoder';

export class StreamReplacer {
  private held = '';
  private readonly decoder = new StringDecoder('utf8');

  /** `to` must not hold `from` (it would be replaced again). */
  constructor(
    private readonly from: string,
    private readonly to: string,
  ) {
    if (from.length === 0) throw new Error('StreamReplacer: nothing to replace');
    if (to.includes(from)) throw new Error('StreamReplacer: the replacement holds what it replaces');
  }

  /** The text that can be passed on now. */
  push(chunk: Buffer | string): string {
    const text = (this.held + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk))).replaceAll(this.from, this.to);
    // What is left of `from` after replacing can only be a start of it cut by the chunk's end.
    const keep = this.partialAtEnd(text);
    this.held = text.slice(text.length - keep);
    return text.slice(0, text.length - keep);
  }

  /** The rest, at the end of the stream. */
  end(): string {
    const rest = (this.held + this.decoder.end()).replaceAll(this.from, this.to);
    this.held = '';
    return rest;
  }

  /** Length of the longest end of `text` that is a start of `from`. */
  private partialAtEnd(text: string): number {
    for (let n = Math.min(this.from.length - 1, text.length); n > 0; n--) if (this.from.startsWith(text.slice(text.length - n))) return n;
    return 0;
  }
}
