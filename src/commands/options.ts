// commander glue shared by the CLI's commands: the value parsers of src/parse.ts as option
// parsers, and boolean environment variables read strictly. commander switches a boolean option on when its environment variable merely exists
// (MCDNS_LEADER_ELECT=false would enable leader election); strictBooleanEnv() reads the value.
import { InvalidArgumentError, type Command } from 'commander';
import { parseBoolean, parseDuration } from '../parse.js';

/** An option parser: the parse error becomes commander's, so it is reported with the option's name. */
function optionParser<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

/** --some-duration <duration>, as commander's argParser. */
export const durationOption = optionParser(parseDuration);


/**
 * Re-reads every boolean option of `cmd` that came from its environment variable, strictly:
 * `MCDNS_X=false` turns `--x` off and `MCDNS_NO_X=false` leaves `--no-x`'s feature on.
 */
export function strictBooleanEnv(cmd: Command, env: NodeJS.ProcessEnv = process.env): void {
  for (const option of cmd.options) {
    if (option.required || option.optional || !option.envVar) continue;
    const key = option.attributeName();
    if (cmd.getOptionValueSource(key) !== 'env') continue;
    // A plain Error: thrown from a hook, not by commander, it is printed by src/cli.ts (exit code 2).
    const on = parseBoolean(env[option.envVar] ?? '', option.envVar);
    cmd.setOptionValueWithSource(key, option.negate ? !on : on, 'env');
  }
}

/** `mcdns run`'s settings read from the environment only: the Deployment sets them from the downward API. */
export const POD_ENV = {
  env: ['MCDNS_POD_NAME', 'MCDNS_POD_NAMESPACE', 'MCDNS_POD_UID'],
  meaning: 'the pod mcdns runs in (downward API): Events about mcdns itself, e.g. a member source it cannot read, go to it',
};
