/**
 * Field rights: what the consumer's role may read, applied to the operation before it runs.
 * - A field the role may not read is taken out of the document (fields.ts `withoutDenied`), so its resolver never
 *   runs and a denied section is never fetched: the plan (`ucv.customerFields`) is built from the trimmed document.
 * - After execution the field is null (GraphQL's null propagation for non-null fields) with a FORBIDDEN error that
 *   names it (`extensions.field`), or, for a role with `onDenied: "refuse"`, the whole request is refused (403)
 *   before any backend call.
 * - A selection the facade made rather than the client (SOAP asks for every field of the sections it returns:
 *   `context.implicitFields`) asks for what the role may read: a denied field inside a section is left out without
 *   an error, as if never asked; only a denied section or root field is reported (FORBIDDEN) or refused.
 * Trimmed documents are cached per document and role, so graphql-jit compiles each once.
 */
import type { Plugin } from '@envelop/core';
import { GraphQLError, isObjectType, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Role } from '../config';
import { gatewayError } from '../errors';
import { REVEALS, type Planner } from '../view';
import type { GatewayContext } from './context';
import { rightOf, selectedCoordinates, walkAnswer, withoutDenied } from './fields';

interface RolePlan {
  document: DocumentNode;
  /** Coordinates the document selects that the role may not read. */
  denied: string[];
}

export interface RightsDeps {
  schema: GraphQLSchema;
  roles: Readonly<Record<string, Role>>;
  planner: Planner;
  /** Told about rights that name a type this schema does not have. */
  warn?: (message: string) => void;
}

/**
 * Reports every coordinate a role names that this gateway's schema does not have: a misspelt
 * `"Profile.idCard": { "mask": "idCard" }` would otherwise mask nothing, silently. Only reported, not refused:
 * the schema follows the adapters loaded (a deployment without billing has no `Customer.billing`, which the
 * default roles name, and registered adapters will add and remove sections at run time). Checked when the
 * pipeline is built.
 */
export function checkRoles(
  schema: GraphQLSchema,
  roles: Readonly<Record<string, Role>>,
  warn: (message: string) => void,
): void {
  for (const [name, role] of Object.entries(roles)) {
    for (const coordinate of Object.keys(role.fields)) {
      const [typeName, field] = coordinate.split('.') as [string, string];
      const type = schema.getType(typeName);
      if (!type || !isObjectType(type))
        warn(
          `security.roles.${name}.fields: "${coordinate}" names no object type of this gateway's schema; it applies to nothing`,
        );
      else if (field !== '*' && !type.getFields()[field])
        warn(
          `security.roles.${name}.fields: "${coordinate}": ${typeName} has no field ${field} in this gateway's schema; it applies to nothing`,
        );
    }
  }
}

/**
 * The roles with every derived field (`view/schema.ts` DerivedField) denied to a role that may not read one of the
 * coordinates it reveals: `Recommendation.withheld` says IN_ARREARS, so a role that may not read the billing
 * section may not read it either. A role that names the field itself keeps its own right.
 */
export function withDerivedDenials(
  schema: GraphQLSchema,
  roles: Readonly<Record<string, Role>>,
): Readonly<Record<string, Role>> {
  const derived: Array<[string, readonly string[]]> = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const reveals = field.extensions?.[REVEALS];
      if (Array.isArray(reveals)) derived.push([`${type.name}.${field.name}`, reveals as string[]]);
    }
  }
  if (derived.length === 0) return roles;
  return Object.fromEntries(
    Object.entries(roles).map(([name, role]) => {
      const denials = derived.filter(
        ([coordinate, reveals]) =>
          !Object.hasOwn(role.fields, coordinate) &&
          reveals.some((c) => {
            const dot = c.indexOf('.');
            return rightOf(role, c.slice(0, dot), c.slice(dot + 1)) === 'deny';
          }),
      );
      if (denials.length === 0) return [name, role];
      return [name, { ...role, fields: { ...role.fields, ...Object.fromEntries(denials.map(([c]) => [c, 'deny'])) } }];
    }),
  );
}

export function useRights({ schema, roles: configured, planner, warn }: RightsDeps): Plugin<GatewayContext> {
  checkRoles(schema, configured, warn ?? (() => undefined));
  const roles = withDerivedDenials(schema, configured);
  // With an implicit selection the caller still chose the operation (a root field) and the sections (Customer's
  // fields): a denied one of those is reported or refused; only a field inside a section is left out silently.
  const explicitTypes = new Set(
    ['Customer', schema.getQueryType()?.name, schema.getMutationType()?.name].filter((n) => n !== undefined),
  );
  const askedExplicitly = (coordinate: string): boolean =>
    explicitTypes.has(coordinate.slice(0, coordinate.indexOf('.')));
  const plans = new WeakMap<DocumentNode, Map<string, RolePlan>>();
  const planFor = (document: DocumentNode, roleName: string, role: Role): RolePlan => {
    let byRole = plans.get(document);
    let plan = byRole?.get(roleName);
    if (!plan) {
      const isDenied = (type: string, field: string) => rightOf(role, type, field) === 'deny';
      const denied = [...selectedCoordinates(schema, document)].filter((c) => {
        const dot = c.indexOf('.');
        return isDenied(c.slice(0, dot), c.slice(dot + 1));
      });
      plan = { document: denied.length === 0 ? document : withoutDenied(schema, document, isDenied), denied };
      if (!byRole) plans.set(document, (byRole = new Map()));
      byRole.set(roleName, plan);
    }
    return plan;
  };

  return {
    onExecute: ({ args, context, extendContext, setResultAndStopExecution }) => {
      const roleName = context.consumer?.role;
      const role = roleName === undefined ? undefined : roles[roleName];
      if (!role || !roleName) {
        // Identity runs first and always sets a consumer with a configured role: this is a wiring bug.
        setResultAndStopExecution({
          errors: [gatewayError('The request has no consumer.', { code: 'UNAUTHENTICATED' })],
        });
        return;
      }
      const original = args.document;
      const plan = planFor(original, roleName, role);
      const denied = context.implicitFields ? plan.denied.filter(askedExplicitly) : plan.denied;
      if (denied.length > 0 && role.onDenied === 'refuse') {
        setResultAndStopExecution({
          errors: [
            gatewayError(`The role ${roleName} may not read ${denied.join(', ')}.`, {
              code: 'FORBIDDEN',
              fields: denied,
            }),
          ],
        });
        return;
      }
      extendContext({ denied, ...(plan.document === original ? {} : { clientDocument: original }) });
      if (plan.document !== original) (args as { document: DocumentNode }).document = plan.document;
      const selected = planner(plan.document, args.operationName, args.variableValues);
      // A directive that cannot be evaluated is a request error (graphql-jit would drop the field silently).
      if (selected.error !== undefined) {
        setResultAndStopExecution({
          errors: [new GraphQLError(selected.error, { extensions: { code: 'BAD_USER_INPUT' } })],
        });
        return;
      }
      context.ucv.customerFields = selected.fields;
      if (plan.denied.length === 0) return;
      const reported = new Set(denied);
      return {
        onExecuteDone: ({ result, setResult }) => {
          if (context.answeredFromCache) return; // a kept answer: trimmed and marked for this role already
          const answer = result as ExecutionResult;
          const firstPath = new Map<string, ReadonlyArray<string | number>>();
          const data = answer.data as Record<string, unknown> | null | undefined;
          let rootNull = false;
          if (data) {
            rootNull = walkAnswer(schema, original, args.operationName, data, ({ type, field, path }) => {
              const coordinate = `${type.name}.${field.name}`;
              if (rightOf(role, type.name, field.name) !== 'deny') return 'descend';
              if (!reported.has(coordinate)) return 'omit';
              if (!firstPath.has(coordinate)) firstPath.set(coordinate, path);
              return 'null';
            });
          }
          // One error per denied field, at the path where it first occurs, so a client sees where its null comes from.
          const forbidden = denied.map((coordinate) => {
            const path = firstPath.get(coordinate);
            const extensions = { code: 'FORBIDDEN' as const, field: coordinate };
            const message = `The role ${roleName} may not read ${coordinate}.`;
            return path ? new GraphQLError(message, { path, extensions }) : gatewayError(message, extensions);
          });
          setResult({
            ...answer,
            data: rootNull ? null : answer.data,
            errors: [...(answer.errors ?? []), ...forbidden],
          });
        },
      };
    },
  };
}
