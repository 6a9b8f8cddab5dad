/**
 * Checks on the shell text of a `RUN` (or an `ENV` value): each returns the rule it breaks and a
 * message, or nothing. The text is split into simple commands at `&&`, `||`, `;` and new lines;
 * pipes are kept, since `curl … | sh` is one finding.
 */
export interface ShellFinding {
  readonly ruleId: string;
  readonly message: string;
}

export function shellCommands(text: string): string[] {
  return text
    .replace(/\\\r?\n/gu, ' ')
    .split(/&&|\|\||;|\r?\n/u)
    .map((command) => command.trim())
    .filter((command) => command !== '');
}

function words(command: string): string[] {
  return command.split(/\s+/u).filter((w) => w !== '');
}

const SHELLS =
  /^(?:sudo\s+)?(?:\/(?:usr\/)?bin\/)?(?:ba|z|da|k|c|fi)?sh\b|^(?:sudo\s+)?(?:\/usr\/bin\/)?(?:python3?|perl|ruby|node)\b/u;
const BUILD_PACKAGES =
  /^(?:build-essential|gcc|g\+\+|make|cmake|clang|llvm|autoconf|automake|libtool|pkg-config|git|gdb|strace|[a-z0-9.+-]+-dev(?:el)?)(?:[=:].*)?$/u;
const INSTALLERS = /^(?:apt-get|apt|apk|yum|dnf|microdnf|zypper)$/u;

export function runCommandFindings(text: string): ShellFinding[] {
  const findings: ShellFinding[] = [];
  const add = (ruleId: string, message: string): void => {
    if (!findings.some((f) => f.ruleId === ruleId && f.message === message))
      findings.push({ ruleId, message });
  };
  const commands = shellCommands(text);
  const cleansAptLists = /rm\s+-[a-z]*r[a-z]*f?[a-z]*\s+[^;&|]*\/var\/lib\/apt\/lists/u.test(text);
  for (const command of commands) {
    const pipeline = command.split(/\|(?!\|)/u).map((part) => part.trim());
    const first = pipeline[0] ?? '';
    const w = words(first.replace(/^sudo\s+/u, ''));
    const tool = w[0] ?? '';
    // `sudo` as the command run (`sudo make install`, `… | sudo tee`), not the package installed.
    if (pipeline.some((part) => /^(?:[A-Za-z_]\w*=\S*\s+)*sudo(?:\s|$)/u.test(part)))
      add('dockerfile/sudo', '`sudo` runs a command as root inside the build');
    if ((tool === 'curl' || tool === 'wget') && pipeline.slice(1).some((p) => SHELLS.test(p))) {
      add(
        'dockerfile/curl-pipe-shell',
        `\`${tool}\` output is piped into an interpreter without verification`,
      );
    }
    for (const part of pipeline) tlsOff(words(part.replace(/^sudo\s+/u, '')), add);
    if ((tool === 'apt-get' || tool === 'apt') && w.includes('install')) {
      if (!w.includes('--no-install-recommends')) {
        add('dockerfile/apt-no-install-recommends', `\`${tool} install\` installs recommended packages too`);
      }
      if (!cleansAptLists) {
        add(
          'dockerfile/package-cache-left',
          `\`${tool} install\` without \`rm -rf /var/lib/apt/lists/*\` in the same RUN`,
        );
      }
    }
    if (tool === 'apk' && w.includes('add') && !w.includes('--no-cache')) {
      add('dockerfile/package-cache-left', '`apk add` without `--no-cache`');
    }
    if (/^pip3?$/u.test(tool) && w.includes('install') && !w.includes('--no-cache-dir')) {
      add('dockerfile/package-cache-left', `\`${tool} install\` without \`--no-cache-dir\``);
    }
    if (tool === 'npm' && (w[1] === 'install' || w[1] === 'i')) {
      const packages = w.slice(2).filter((word) => !word.startsWith('-'));
      if (packages.length === 0) {
        add('dockerfile/npm-install', '`npm install` resolves versions instead of installing the lockfile');
      }
    }
  }
  return findings;
}

function tlsOff(w: readonly string[], add: (ruleId: string, message: string) => void): void {
  const tool = w[0] ?? '';
  const rule = 'dockerfile/tls-verification-off';
  if (tool === 'curl' && w.some((word) => word === '--insecure' || /^-[a-zA-Z]*k[a-zA-Z]*$/u.test(word))) {
    add(rule, '`curl` with `-k`/`--insecure` accepts any certificate');
  }
  if (tool === 'wget' && w.includes('--no-check-certificate')) {
    add(rule, '`wget --no-check-certificate` accepts any certificate');
  }
  const line = w.join(' ');
  if (/\bNODE_TLS_REJECT_UNAUTHORIZED=["']?0\b/u.test(line)) {
    add(rule, '`NODE_TLS_REJECT_UNAUTHORIZED=0` switches off certificate checks for every Node.js request');
  }
  if (/\bstrict-ssl(?:\s+|=)["']?false\b/u.test(line))
    add(rule, '`strict-ssl false` lets npm accept any certificate');
  if (
    /\bsslVerify(?:\s+|=)["']?false\b/iu.test(line) ||
    /\bGIT_SSL_NO_VERIFY=["']?(?:1|true)\b/iu.test(line)
  ) {
    add(rule, 'git with certificate verification switched off');
  }
  if (/^pip3?$/u.test(tool) && w.includes('--trusted-host'))
    add(rule, '`pip --trusted-host` skips certificate checks for that host');
}

/** `ENV` settings that switch TLS verification off, by name and value. */
export function insecureEnv(name: string, value: string): string | undefined {
  const v = value.replace(/^["']|["']$/gu, '').toLowerCase();
  if (name === 'NODE_TLS_REJECT_UNAUTHORIZED' && v === '0')
    return '`NODE_TLS_REJECT_UNAUTHORIZED=0` switches off certificate checks for every Node.js request';
  if (name === 'GIT_SSL_NO_VERIFY' && v !== '' && v !== '0' && v !== 'false')
    return "`GIT_SSL_NO_VERIFY` switches off git's certificate checks";
  if (/^npm_config_strict_ssl$/iu.test(name) && v === 'false')
    return '`NPM_CONFIG_STRICT_SSL=false` lets npm accept any certificate';
  if (name === 'PYTHONHTTPSVERIFY' && v === '0')
    return "`PYTHONHTTPSVERIFY=0` switches off Python's certificate checks";
  return undefined;
}

/** The build tools a command installs with a system package manager, or `npm ci/install` with dev dependencies. */
export function buildTools(text: string): string[] {
  const found: string[] = [];
  for (const command of shellCommands(text)) {
    const w = words(command.replace(/^sudo\s+/u, ''));
    const tool = w[0] ?? '';
    if (INSTALLERS.test(tool) && (w.includes('install') || w.includes('add'))) {
      found.push(...w.filter((word) => !word.startsWith('-') && BUILD_PACKAGES.test(word)));
    }
    if (tool === 'npm' && (w[1] === 'ci' || ((w[1] === 'install' || w[1] === 'i') && w.length === 2))) {
      const prodOnly = w.some((word) => /^--(?:omit=dev|production|only=prod(?:uction)?)$/u.test(word));
      if (!prodOnly) found.push(`npm ${w[1]} (dev dependencies)`);
    }
  }
  return found;
}
