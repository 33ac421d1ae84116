// `mcdns completion bash|zsh`: a completion script generated from the CLI's own command and
// option definitions, so it names exactly the flags `--help` does. Static (no call back into
// mcdns at completion time): flag names, the choices of choice flags, file names for <path>s.
import type { Command, Option } from 'commander';

interface Flag {
  names: string[];
  takesValue: boolean;
  choices?: readonly string[];
  file: boolean;
  description: string;
}

interface Sub {
  name: string;
  description: string;
  flags: Flag[];
  /** Words for the positional argument (completion's shell names), else file names when it takes files. */
  words?: string[];
  files: boolean;
}

const flagOf = (o: Option): Flag => ({
  names: [o.short, o.long].filter((n): n is string => Boolean(n)),
  takesValue: o.required || o.optional,
  ...(o.argChoices ? { choices: o.argChoices } : {}),
  file: /<(path|file)/.test(o.flags),
  description: o.description,
});

function commandsOf(program: Command): Sub[] {
  return program.commands.map((c) => {
    const args = c.registeredArguments;
    return {
      name: c.name(),
      description: c.description(),
      flags: [...c.options.map(flagOf), { names: ['-h', '--help'], takesValue: false, file: false, description: 'display help' }],
      ...(c.name() === 'completion' ? { words: [...SHELLS] } : {}),
      files: args.some((a) => /file/.test(a.name())),
    };
  });
}

const SHELLS = ['bash', 'zsh'] as const;

export function completionScript(program: Command, shell: string): string {
  if (shell === 'bash') return bash(program.name(), commandsOf(program));
  if (shell === 'zsh') return zsh(program.name(), commandsOf(program));
  throw new Error(`no completion for shell "${shell}" (one of ${SHELLS.join(', ')})`);
}

function bash(name: string, subs: Sub[]): string {
  const fn = `_${name.replace(/\W/g, '_')}`;
  const cases = subs.map((s) => {
    const values = s.flags
      .filter((f) => f.takesValue)
      .map((f) => `      ${f.names.join('|')}) ${f.choices ? `COMPREPLY=($(compgen -W "${f.choices.join(' ')}" -- "$cur"))` : f.file ? 'COMPREPLY=($(compgen -f -- "$cur"))' : 'COMPREPLY=()'}; return ;;`);
    const positional = s.words ? `COMPREPLY=($(compgen -W "${s.words.join(' ')}" -- "$cur"))` : s.files ? 'COMPREPLY=($(compgen -f -- "$cur"))' : 'COMPREPLY=()';
    return [
      `  ${s.name})`,
      '    case "$prev" in',
      ...values,
      '    esac',
      `    if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${s.flags.flatMap((f) => f.names).join(' ')}" -- "$cur")); else ${positional}; fi`,
      '    ;;',
    ].join('\n');
  });
  return `# bash completion for ${name}: source <(${name} completion bash)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ "\${COMP_WORDS[i]}" != -* ]]; then cmd="\${COMP_WORDS[i]}"; break; fi
  done
  case "$cmd" in
  "") COMPREPLY=($(compgen -W "${subs.map((s) => s.name).join(' ')} help --help" -- "$cur")) ;;
${cases.join('\n')}
  esac
}
complete -o default -F ${fn} ${name}
`;
}

/** zsh's _arguments spec text: brackets, colons and quotes escaped. */
const zq = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, `'\\''`).replace(/([[\]:])/g, '\\$1');

function zsh(name: string, subs: Sub[]): string {
  const fn = `_${name.replace(/\W/g, '_')}`;
  const spec = (f: Flag): string[] => {
    const action = f.takesValue ? `:value:${f.choices ? `(${f.choices.join(' ')})` : f.file ? '_files' : ' '}` : '';
    const exclusive = f.names.length > 1 ? `(${f.names.join(' ')})` : '';
    const names = f.names.length > 1 ? `{${f.names.join(',')}}` : f.names[0]!;
    return [`${f.names.length > 1 ? `'${exclusive}'` : ''}${names}'[${zq(f.description)}]${action}'`];
  };
  const cases = subs.map((s) => {
    const positional = s.words ? `'1:shell:(${s.words.join(' ')})'` : s.files ? `'*:file:_files'` : '';
    return `    ${s.name})\n      _arguments -s \\\n        ${[...s.flags.flatMap(spec), positional].filter(Boolean).join(' \\\n        ')}\n      ;;`;
  });
  return `#compdef ${name}
# zsh completion for ${name}: ${name} completion zsh > "\${fpath[1]}/_${name}"
${fn}() {
  local -a commands
  commands=(
${subs.map((s) => `    '${s.name}:${zq(s.description)}'`).join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe command commands
    return
  fi
  local cmd="\${words[2]}"
  shift words
  (( CURRENT-- ))
  case "$cmd" in
${cases.join('\n')}
  esac
}
${fn} "$@"
`;
}
