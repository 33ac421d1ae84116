// The one form of a DNS name every index, comparison and provider key uses: lower case, no
// surrounding blanks, no trailing dot (ExternalDNS writes names without it). Pure.

/** Lower case, no surrounding blanks, no trailing dot. */
export function normaliseName(name: string): string {
  return unchangedOr(name, name.trim().toLowerCase().replace(/\.$/, ''));
}

/**
 * The original string when normalising left it as it was: V8 may hand back an equal copy, and
 * the caches and indexes keep what the normalisers return for every record.
 */
export function unchangedOr(original: string, normalised: string): string {
  return normalised === original ? original : normalised;
}
