// The exit codes of every mcdns command, as `mcdns --help` and README.md list them (a test
// compares the two). As grep and diff do: 1 is a finding, 2 is anything that stopped the check,
// so `mcdns audit ... || alert` fires on orphans, and a typo cannot pass for one.
export const EXIT_CODES: ReadonlyArray<{ code: number; meaning: string }> = [
  { code: 0, meaning: 'success: validate found every object valid, plan every change possible, audit no orphan; run stopped cleanly' },
  {
    code: 1,
    meaning:
      'findings: validate found invalid objects, plan blocked changes (conflicts, problems), audit orphaned ownership TXTs or shadowed names; run stopped before its shutdown finished',
  },
  {
    code: 2,
    meaning:
      'usage or setup error: unknown command or option, missing or bad argument, bad flag or variable value, unreadable input, no usable input, provider or cluster unreachable, Node.js too old',
  },
];

/** `text` in lines of at most `width` characters, after `first` on the first line and `indent` on the others. */
function wrap(text: string, first: string, indent: string, width = 80): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l, i) => (i === 0 ? first : indent) + l);
}

/** The table as `--help` prints it, after the commands. */
export function exitCodesHelp(): string {
  return ['', 'Exit codes:', ...EXIT_CODES.flatMap((e) => wrap(e.meaning, `  ${e.code} `, '    '))].join('\n');
}
