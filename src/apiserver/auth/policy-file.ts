// The static authorization policy for running without kube-apiserver
// (`--authorization-policy-file`): a YAML or JSON file of allow rules in RBAC's vocabulary, with
// the subjects and namespaces in the rule itself, as ABAC does. Format (see README):
//
//   rules:
//   - users: [alice]                 # user names; "*" = every user
//     groups: [ci]                   # group names (a rule needs users or groups)
//     verbs: [get, list, watch]      # "*" = every verb
//     apiGroups: [kubeactions.dev]   # default ["*"]
//     resources: [workflowruns, workflowruns/log]   # "*", "resource", "resource/sub", "*/sub"
//     resourceNames: [build-1]       # default: any name
//     namespaces: [team-a]           # default ["*"]; only "*" covers cluster-wide requests
//   - groups: [system:authenticated]
//     verbs: [get]
//     nonResourceURLs: [/metrics]    # exact, or a prefix ending in "*"
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { RequestInfo } from '../request-info.js';
import type { UserInfo } from '../types.js';
import { ALLOW, type DecisionAuthorizer, type DecisionResult, NO_OPINION } from './authz.js';
import { PathMatcher } from './paths.js';

/** One allow rule, its lists filled with their defaults. */
export interface PolicyRule {
  users: string[];
  groups: string[];
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  namespaces: string[];
  nonResourceURLs: string[];
}

const LIST_FIELDS = ['users', 'groups', 'verbs', 'apiGroups', 'resources', 'resourceNames', 'namespaces', 'nonResourceURLs'] as const;
const RESOURCE_ONLY = ['apiGroups', 'resourceNames', 'namespaces'] as const;

function stringList(value: unknown, path: string, errors: string[]): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')) return value as string[];
  errors.push(`${path}: must be a list of non-empty strings`);
  return [];
}

function parseRule(raw: unknown, path: string, errors: string[]): PolicyRule | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    errors.push(`${path}: must be a mapping`);
    return undefined;
  }
  const fields = raw as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!(LIST_FIELDS as readonly string[]).includes(key)) errors.push(`${path}.${key}: unknown field`);
  }
  const [users, groups, verbs, apiGroups, resources, resourceNames, namespaces, nonResourceURLs] =
    LIST_FIELDS.map((f) => stringList(fields[f], `${path}.${f}`, errors)) as [string[], string[], string[], string[], string[], string[], string[], string[]];
  if (users.length === 0 && groups.length === 0) errors.push(`${path}: needs users or groups`);
  if (verbs.length === 0) errors.push(`${path}.verbs: Required value`);
  if ((resources.length > 0) === (nonResourceURLs.length > 0)) errors.push(`${path}: needs exactly one of resources or nonResourceURLs`);
  if (nonResourceURLs.length > 0) {
    for (const f of RESOURCE_ONLY) if (fields[f] !== undefined) errors.push(`${path}.${f}: only allowed with resources`);
    try {
      void new PathMatcher(nonResourceURLs);
    } catch (err) {
      errors.push(`${path}.nonResourceURLs: ${(err as Error).message}`);
    }
  }
  return {
    users, groups, verbs, resources, resourceNames, nonResourceURLs,
    apiGroups: apiGroups.length > 0 ? apiGroups : ['*'],
    namespaces: namespaces.length > 0 ? namespaces : ['*'],
  };
}

/** Parses a policy document; throws one Error listing every problem, each with its path. */
export function parsePolicy(text: string, source: string): PolicyRule[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
  const errors: string[] = [];
  const rules: PolicyRule[] = [];
  const rawRules = (doc as { rules?: unknown } | null)?.rules;
  if (typeof doc !== 'object' || doc === null || Object.keys(doc).some((k) => k !== 'rules')) errors.push('only the field rules is allowed at the top');
  if (!Array.isArray(rawRules)) errors.push('rules: must be a list');
  else rawRules.forEach((raw, i) => {
    const rule = parseRule(raw, `rules[${i}]`, errors);
    if (rule) rules.push(rule);
  });
  if (errors.length > 0) throw new Error(`${source}: ${errors.join('; ')}`);
  return rules;
}

const has = (list: readonly string[], value: string): boolean => list.includes('*') || list.includes(value);

/** RBAC's `ResourceMatches`: "*", the exact "resource[/subresource]", or "*" + "/subresource". */
function resourceMatches(rule: PolicyRule, info: RequestInfo): boolean {
  const combined = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  return rule.resources.some((r) => r === '*' || r === combined || (info.subresource !== '' && r === `*/${info.subresource}`));
}

function ruleMatches(rule: PolicyRule, paths: PathMatcher | undefined, user: UserInfo, info: RequestInfo): boolean {
  const subject = has(rule.users, user.name) || user.groups.some((g) => rule.groups.includes(g));
  if (!subject || !has(rule.verbs, info.verb)) return false;
  if (!info.isResourceRequest) return paths?.matches(info.path) ?? false;
  if (rule.resources.length === 0) return false;
  const namespaceOk = rule.namespaces.includes('*') || (info.namespace !== '' && rule.namespaces.includes(info.namespace));
  const nameOk = rule.resourceNames.length === 0 || rule.resourceNames.includes(info.name);
  return namespaceOk && nameOk && has(rule.apiGroups, info.apiGroup) && resourceMatches(rule, info);
}

/** Allows what a rule of the policy allows; has no opinion on anything else (never denies). */
export class PolicyAuthorizer implements DecisionAuthorizer {
  readonly #paths: (PathMatcher | undefined)[];

  constructor(readonly rules: readonly PolicyRule[]) {
    this.#paths = rules.map((r) => (r.nonResourceURLs.length > 0 ? new PathMatcher(r.nonResourceURLs) : undefined));
  }

  decide(user: UserInfo, info: RequestInfo): Promise<DecisionResult> {
    const allowed = this.rules.some((rule, i) => ruleMatches(rule, this.#paths[i], user, info));
    return Promise.resolve(allowed ? ALLOW : NO_OPINION);
  }
}

/** Reads and parses `file` (YAML or JSON); throws on any problem. */
export async function readPolicyFile(file: string): Promise<PolicyAuthorizer> {
  return new PolicyAuthorizer(parsePolicy(await readFile(file, 'utf8'), file));
}
