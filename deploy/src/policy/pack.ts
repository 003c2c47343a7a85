/**
 * The policy rules as a Pulumi policy pack: `pulumi preview --policy-pack <dir>` with this file
 * as the pack's entry point. Never import this module from a test or from index.ts: `new
 * PolicyPack()` starts the policy server, and the importing process never exits.
 */
import { PolicyPack, type PolicyResource } from '@pulumi/policy';
import type { RuleResource } from './resources.ts';
import { POLICY_RULES } from './rules.ts';

function toRuleResource(resource: PolicyResource): RuleResource {
  const refs: Record<string, string[]> = {};
  for (const [property, dependencies] of Object.entries(resource.propertyDependencies ?? {}))
    refs[property] = dependencies.map((d) => d.name);
  return { type: resource.type, name: resource.name, inputs: resource.props, refs };
}

new PolicyPack('multiclaw-staging', {
  enforcementLevel: 'mandatory',
  policies: POLICY_RULES.map((rule) => ({
    name: rule.name,
    description: rule.description,
    validateStack: (args, reportViolation) => {
      const urns = new Map(args.resources.map((r) => [r.name, r.urn]));
      for (const found of rule.check(args.resources.map(toRuleResource)))
        reportViolation(found.message, urns.get(found.resource));
    },
  })),
});
