// [backups]: scheduled backups of the data dir on each host (a systemd timer,
// src/render/backupViews.ts) and how many archives they keep. The schedule
// becomes OnCalendar=, which systemd checks only on the host, long after the
// deploy started: the shapes it can take are checked here instead.
import type { RuleFailure } from './schema.js';

/** systemd's shorthand calendar names (systemd.time(7)). */
export const CALENDAR_SHORTHANDS = [
  'minutely',
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'quarterly',
  'semiannually',
  'yearly',
  'annually',
] as const;

const SHAPE = /^[A-Za-z0-9*:/.,~ +-]+$/;

/** A shorthand ("daily"), or a calendar expression ("Mon..Fri *-*-* 03:00:00", "*-*-* 04:00 UTC"). */
export function checkSchedule(value: string): RuleFailure | undefined {
  const v = value.trim();
  if ((CALENDAR_SHORTHANDS as readonly string[]).includes(v.toLowerCase())) return undefined;
  // Every calendar expression names a time or a date: a digit, or "*" for "every".
  if (SHAPE.test(v) && /[0-9*]/.test(v)) return undefined;
  return {
    problem: `is not a systemd calendar value (${CALENDAR_SHORTHANDS.slice(1, 5).join(', ')} …, or an expression like "*-*-* 03:00:00"; check one with systemd-analyze calendar "…")`,
    fix: 'write schedule = "daily", or a calendar expression such as "*-*-* 03:00:00"',
  };
}
