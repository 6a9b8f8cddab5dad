/**
 * The token formats of the common providers, one pattern a rule. Each pattern names the secret in
 * its `secret` group; `minEntropy` and `minLength` are the rule's own minimums (over the part
 * after the fixed prefix), so a run of one character or a short example is not reported.
 * Sources: gitleaks' default configuration (`config/gitleaks.toml`, MIT) and the providers'
 * documentation of their token formats; each entry names its gitleaks rule.
 */
export interface ProviderPattern {
  readonly ruleId: string;
  /** Lower-case substrings of which a line must contain one before the pattern runs (cheap filter). */
  readonly keywords: readonly string[];
  /** Global; the secret is the `secret` group. */
  readonly pattern: RegExp;
  /** The fixed prefix of the secret, left out of the entropy and repetition checks. */
  readonly prefix: RegExp;
  readonly minEntropy: number;
  readonly minLength: number;
}

export const PROVIDER_PATTERNS: readonly ProviderPattern[] = [
  {
    // gitleaks `aws-access-token`; AWS IAM docs "Unique identifiers" (AKIA long-term, ASIA temporary).
    ruleId: 'secrets/aws-access-key-id',
    keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'],
    pattern: /\b(?<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b/gu,
    prefix: /^(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)/u,
    minEntropy: 3,
    minLength: 20,
  },
  {
    // git-secrets' `--aws-provider` pattern, kept to assignments whose name says secret access key
    // (as secretlint's aws rule does): 40 characters of base64 alone are everywhere (hashes, ids).
    ruleId: 'secrets/aws-secret-access-key',
    keywords: ['secret'],
    pattern:
      /(?:aws)?_?secret_?(?:access)?_?key["'`]?\s*(?::=|=>|[:=])\s*["'`]?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/giu,
    prefix: /^/u,
    minEntropy: 4,
    minLength: 40,
  },
  {
    // gitleaks `github-pat`, `github-oauth`, `github-app-token`, `github-refresh-token`,
    // `github-fine-grained-pat`; GitHub's "About authentication: token formats".
    ruleId: 'secrets/github-token',
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    pattern: /\b(?<secret>gh[pousr]_[0-9A-Za-z]{36}|github_pat_[0-9A-Za-z_]{82})\b/gu,
    prefix: /^(?:gh[pousr]_|github_pat_)/u,
    minEntropy: 3,
    minLength: 40,
  },
  {
    // gitleaks `gitlab-pat` (and the other glXXX- prefixes of GitLab's "Token overview").
    ruleId: 'secrets/gitlab-token',
    keywords: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'gloas-'],
    pattern: /\b(?<secret>(?:glpat|gldt|glrt|glptt|gloas)-[0-9A-Za-z_-]{20,})/gu,
    prefix: /^gl[a-z]+-/u,
    minEntropy: 3,
    minLength: 26,
  },
  {
    // gitleaks `slack-bot-token`, `slack-user-token`, `slack-app-token`, `slack-legacy-*`.
    ruleId: 'secrets/slack-token',
    keywords: ['xox'],
    pattern: /\b(?<secret>xox[abeoprs]-(?:[0-9]{9,13}-){1,3}[0-9A-Za-z-]{10,48})\b/gu,
    prefix: /^xox[a-z]-/u,
    minEntropy: 3,
    minLength: 24,
  },
  {
    // gitleaks `slack-webhook-url`: hooks.slack.com/services/T…/B…/<24 characters>.
    ruleId: 'secrets/slack-webhook',
    keywords: ['hooks.slack.com'],
    pattern:
      /(?<secret>hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/]{20,60}(?:\/[A-Za-z0-9]{8,40})?)/gu,
    prefix: /^hooks\.slack\.com\/(?:services|workflows|triggers)\//u,
    minEntropy: 3,
    minLength: 40,
  },
  {
    // gitleaks `stripe-access-token`, live mode only (`sk_live_`, restricted `rk_live_`): test-mode
    // keys move no money.
    ruleId: 'secrets/stripe-live-key',
    keywords: ['_live_'],
    pattern: /\b(?<secret>(?:sk|rk)_live_[0-9A-Za-z]{20,247})\b/gu,
    prefix: /^[sr]k_live_/u,
    minEntropy: 3,
    minLength: 28,
  },
  {
    // gitleaks `gcp-api-key`: `AIza` and 35 characters.
    ruleId: 'secrets/google-api-key',
    keywords: ['aiza'],
    pattern: /\b(?<secret>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/gu,
    prefix: /^AIza/u,
    minEntropy: 3,
    minLength: 39,
  },
  {
    // gitleaks `npm-access-token`: `npm_` and 36 characters.
    ruleId: 'secrets/npm-token',
    keywords: ['npm_'],
    pattern: /\b(?<secret>npm_[0-9A-Za-z]{36})\b/gu,
    prefix: /^npm_/u,
    minEntropy: 3,
    minLength: 40,
  },
  {
    // gitleaks `twilio-api-key`: an API key SID is `SK` and 32 hex digits (its secret goes with it).
    ruleId: 'secrets/twilio-api-key',
    keywords: ['sk'],
    pattern: /\b(?<secret>SK[0-9a-fA-F]{32})\b/gu,
    prefix: /^SK/u,
    minEntropy: 3,
    minLength: 34,
  },
  {
    // gitleaks `sendgrid-api-token`: `SG.` + 22 + `.` + 43 characters (69 in all).
    ruleId: 'secrets/sendgrid-api-key',
    keywords: ['sg.'],
    pattern: /\b(?<secret>SG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43})(?![0-9A-Za-z_-])/gu,
    prefix: /^SG\./u,
    minEntropy: 3,
    minLength: 69,
  },
];
