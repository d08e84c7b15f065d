/**
 * Which electronic channel an offer goes to. The warehouse rates each of the customer's channels ("halls",
 * DOMAIN.md) strongest / strong / medium / weak; the ones an offer can be pushed through map to the channel gateway:
 * SMS hall → SMS, WAP/mobile hall (the app) → PUSH, web hall → EMAIL. The phone hall and the self-service terminal
 * are not push channels (and low-touch contacts are to be steered away from the phone hall), so they never receive
 * an offer. Strongest first; on a tie, the cheaper channel (SMS, then PUSH, then EMAIL).
 */
import type { OfferChannel } from '../rules/definition';

export const HALL_TO_CHANNEL: Readonly<Record<string, OfferChannel>> = {
  SMS_HALL: 'SMS',
  WAP_HALL: 'PUSH',
  WEB_HALL: 'EMAIL',
};
const LEVELS = ['STRONGEST', 'STRONG', 'MEDIUM', 'WEAK'];
const ORDER: readonly OfferChannel[] = ['SMS', 'PUSH', 'EMAIL'];

/**
 * The channel for an offer: the rule's fixed channel, or the customer's strongest electronic one. With no
 * preferences (no view, a customer not in the warehouse's batch): SMS, which every subscriber can receive.
 */
export function preferredChannel(
  channel: OfferChannel | 'PREFERRED',
  preferences: ReadonlyArray<{ channel: string; level: string }> | null | undefined,
): OfferChannel {
  if (channel !== 'PREFERRED') return channel;
  let best: { channel: OfferChannel; rank: number } | undefined;
  for (const p of preferences ?? []) {
    const target = HALL_TO_CHANNEL[p.channel];
    const level = LEVELS.indexOf(p.level);
    if (!target || level < 0) continue;
    const rank = level * 10 + ORDER.indexOf(target);
    if (!best || rank < best.rank) best = { channel: target, rank };
  }
  return best?.channel ?? 'SMS';
}
