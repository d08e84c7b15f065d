/**
 * The best-contact-time summary people read: it names the quiet hours it avoided, and says nothing of them when the
 * policy has none (a start equal to its end), rather than "avoided 00:00–00:00".
 */
import { contactTimeOf } from '../../gateway/touchpoints/contact-time';

const since = new Date('2026-09-01T00:00:00Z');
/** Two answered contacts at 10:15 and 19:05 Beijing time. */
const contacts = [
  { at: new Date('2026-11-03T02:15:00Z'), answered: true },
  { at: new Date('2026-11-03T11:05:00Z'), answered: true },
];
const policy = (start: string, end: string) => ({ timeZone: 'Asia/Shanghai', quietHours: { start, end } });

it('names the quiet hours it avoided', () => {
  expect(contactTimeOf(contacts, policy('21:00', '08:00'), 3, since).summary).toEqual({
    zh: '最佳联系时段：10:00–11:00、19:00–20:00（已避开免打扰时段21:00–08:00）',
    en: 'best hours to contact: 10:00–11:00, 19:00–20:00 (outside the quiet hours 21:00–08:00)',
  });
});

it('says nothing of quiet hours when there are none', () => {
  expect(contactTimeOf(contacts, policy('00:00', '00:00'), 3, since).summary).toEqual({
    zh: '最佳联系时段：10:00–11:00、19:00–20:00',
    en: 'best hours to contact: 10:00–11:00, 19:00–20:00',
  });
});
