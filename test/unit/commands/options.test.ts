import { expect } from 'chai';
import { Command, Option } from 'commander';
import { strictBooleanEnv } from '../../../src/commands/options.js';
import { parseBoolean, parseDuration } from '../../../src/parse.js';

describe('CLI values', () => {
  describe('durations', () => {
    it('accept ms, s, m and h, combined as Go writes them, and bare seconds', () => {
      expect(parseDuration('500ms')).to.equal(500);
      expect(parseDuration('30s')).to.equal(30_000);
      expect(parseDuration('5m')).to.equal(300_000);
      expect(parseDuration('1h')).to.equal(3_600_000);
      expect(parseDuration('1h30m')).to.equal(5_400_000);
      expect(parseDuration('1m30s')).to.equal(90_000);
      expect(parseDuration('1.5s')).to.equal(1500);
      expect(parseDuration('15')).to.equal(15_000);
    });

    it('reject anything else, saying what a duration looks like', () => {
      for (const bad of ['', '5x', 'h', '-1s', '1h 30m', 's30', '1d']) {
        expect(() => parseDuration(bad), bad).to.throw(/not a duration: .* \(use e\.g\. 500ms, 30s, 5m, 1h, 1h30m\)/);
      }
    });
  });

  describe('boolean environment variables', () => {
    it('accept true/false/1/0 in any case and reject the rest naming the variable', () => {
      expect(['true', 'TRUE', '1', 'false', 'False', '0'].map((v) => parseBoolean(v, 'X'))).to.deep.equal([true, true, true, false, false, false]);
      for (const bad of ['yes', 'on', '', 'enabled', '2']) {
        expect(() => parseBoolean(bad, 'MCDNS_LEADER_ELECT'), bad).to.throw(`MCDNS_LEADER_ELECT=${JSON.stringify(bad)} is not a boolean (use true, false, 1 or 0)`);
      }
    });

    const parse = (env: NodeJS.ProcessEnv, argv: string[] = []) => {
      const cmd = new Command()
        .exitOverride()
        .addOption(new Option('--leader-elect').env('T_LEADER_ELECT'))
        .addOption(new Option('--fail-open').default(true))
        .addOption(new Option('--no-fail-open').env('T_NO_FAIL_OPEN'))
        .addOption(new Option('--name <n>').env('T_NAME'));
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        cmd.parse(argv, { from: 'user' });
      } finally {
        for (const k of Object.keys(env)) delete process.env[k];
        Object.assign(process.env, saved);
      }
      strictBooleanEnv(cmd, env);
      return cmd.opts();
    };

    it('switch an option off with false or 0, on with true or 1', () => {
      expect(parse({ T_LEADER_ELECT: 'false' }).leaderElect).to.equal(false);
      expect(parse({ T_LEADER_ELECT: '0' }).leaderElect).to.equal(false);
      expect(parse({ T_LEADER_ELECT: 'true' }).leaderElect).to.equal(true);
      expect(parse({}).leaderElect).to.equal(undefined);
    });

    it('give --no-x variables their plain meaning: MCDNS_NO_FAIL_OPEN=false keeps fail-open on', () => {
      expect(parse({ T_NO_FAIL_OPEN: 'false' }).failOpen).to.equal(true);
      expect(parse({ T_NO_FAIL_OPEN: '1' }).failOpen).to.equal(false);
      expect(parse({}).failOpen).to.equal(true);
    });

    it('leave a flag given on the command line alone, and options with values untouched', () => {
      expect(parse({ T_LEADER_ELECT: 'false' }, ['--leader-elect']).leaderElect).to.equal(true);
      expect(parse({ T_NAME: 'yes' }).name).to.equal('yes');
    });

    it('stop the command on any other value', () => {
      expect(() => parse({ T_LEADER_ELECT: 'yes' })).to.throw('T_LEADER_ELECT="yes" is not a boolean');
    });
  });
});
