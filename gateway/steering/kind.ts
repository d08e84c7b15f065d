/**
 * The steering table as kind `steering` of the definitions store (`/admin/steerings/default`): changed at run time,
 * versioned, shared by every instance, like the contact policy.
 *
 *   validate  the table's shape and its consistency with named paths (`services.FOO`, `services.ITEMISED_BILL.channels.2`,
 *             `preferences.PHONE_HALL.billEnquiries.1.from` …); its name must be "default"
 *   apply     the registered table is in force from the next request; none (never put, or deleted): the configured one
 */
import { DefinitionRefused, singleNameProblems, type DefinitionKind, type Problem } from '../definitions';
import { checkSteeringTable } from './definition';
import type { SteeringHolder } from './section';

/** One steering table is in force. */
const STEERING_NAME = 'default';

export function steeringKind(holder: SteeringHolder): DefinitionKind {
  const problems = (definition: unknown, name: string): Problem[] => {
    const named = singleNameProblems(name, STEERING_NAME, 'steering table');
    if (named.length > 0) return named;
    const checked = checkSteeringTable(definition);
    return checked.ok ? [] : checked.problems;
  };
  return {
    kind: 'steering',
    validate: problems,
    async apply(definitions) {
      const definition = definitions.get(STEERING_NAME);
      if (definition === undefined) return holder.swap(null);
      const checked = checkSteeringTable(definition);
      if (!checked.ok) throw new DefinitionRefused(checked.problems);
      holder.swap(checked.table);
    },
    notFound: (name) =>
      name === STEERING_NAME
        ? 'no steering table is registered: the configured one (steering.table, or the guideline default) is in force'
        : `one steering table is in force: its name is "${STEERING_NAME}"`,
    inForce: () => ({
      origin: holder.registered ? 'registered' : 'config',
      services: holder.current.services.map((s) => s.service),
    }),
  };
}
