/**
 * The audience extraction of the runtime's sources, for campaigns: a source whose adapter describes an `audience`
 * (backends/adapter.ts AudienceDescription) selects customers where its data lives, through the source's protected
 * command path. The gateway names no backend: a campaign names its source, or uses the one source that offers an
 * audience.
 */
import { randomUUID } from 'node:crypto';
import type { Source } from '../backends/source';
import type { AudienceCheck, AudienceSource, AudienceSources } from '../marketing/campaigns';
import { checkCondition } from '../marketing/conditions';

/** A command the source refused or could not send, as campaigns see it. */
export class AudienceUnavailable extends Error {}

function audienceOf(source: Source): AudienceSource {
  const description = source.adapter.audience;
  if (!description) throw new Error(`source ${source.name} offers no audience`);
  const send = async <T>(command: string, payload: unknown, requestId: string): Promise<T> => {
    const outcome = await source.command(command, randomUUID(), payload, { requestId, idempotencyKey: requestId });
    if (outcome.ok) return outcome.value as T;
    throw new AudienceUnavailable(
      outcome.rejected
        ? `${source.name} refused the audience: ${outcome.message}`
        : `${source.name} could not select the audience (${outcome.reason})`,
    );
  };
  return {
    name: source.name,
    count: (where, requestId) =>
      send<{ count: number; batchDate: string | null }>(description.count, { where }, requestId),
    page: (where, after, pageSize, requestId) =>
      send<{ ids: string[]; nextAfter: string | null; batchDate: string | null }>(
        description.page,
        { where, pageSize, ...(after ? { after } : {}) },
        `${requestId}-${after ?? 'first'}`,
      ),
  };
}

/** The audience sources of the runtime in force (read at each call: a registered adapter may add one). */
export function audienceSources(sources: () => readonly Source[]): {
  audiences: AudienceSources;
  checkAudience: AudienceCheck;
} {
  const offering = (): Source[] => sources().filter((s) => s.adapter.audience);
  const pick = (name: string | undefined): Source | Error => {
    const all = offering();
    if (name)
      return (
        all.find((s) => s.name === name) ??
        new Error(
          `no source named "${name}" offers an audience (offered by: ${all.map((s) => s.name).join(', ') || 'none'})`,
        )
      );
    if (all.length === 1 && all[0]) return all[0];
    return new Error(
      all.length === 0
        ? 'no source offers an audience extraction'
        : `several sources offer an audience (${all.map((s) => s.name).join(', ')}): name one in audience.source`,
    );
  };
  return {
    audiences: (name) => {
      const source = pick(name);
      return source instanceof Error ? source : audienceOf(source);
    },
    checkAudience: (where, name) => {
      const source = pick(name);
      const fields = source instanceof Error ? undefined : source.adapter.audience?.fields;
      return fields ? checkCondition(where, fields, 'audience.where') : [];
    },
  };
}
