// What was built: the package version and the commit, set by scripts/bundle.mjs when it bundles
// (`mcdns --version`, the start-up log line, the mcdns_build_info metric). Unbundled code (the
// unit tests) reports a development build.

interface BuildInfo {
  version: string;
  commit: string;
}

declare const MCDNS_BUILD: BuildInfo | undefined;

export const BUILD: BuildInfo = typeof MCDNS_BUILD === 'object' && MCDNS_BUILD !== null ? MCDNS_BUILD : { version: '0.0.0-dev', commit: 'unknown' };
