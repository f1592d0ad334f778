// What the `deployer server …` scripts report (remote/server-prelude.sh):
// @@changed what / @@ok what / @@fail why / @@end. A second run prints only
// @@ok lines: that is how "no change" is known, not guessed.
import { Marker, parseMarkers } from '../remote/protocol.js';

export interface ServerReport {
  changed: string[];
  unchanged: string[];
  error?: string;
  ended: boolean;
}

export function parseServerOutput(text: string): ServerReport {
  const report: ServerReport = { changed: [], unchanged: [], ended: false };
  for (const { marker, arg } of parseMarkers(text)) {
    if (marker === Marker.changed) report.changed.push(arg);
    else if (marker === Marker.ok) report.unchanged.push(arg);
    else if (marker === Marker.fail) report.error = arg;
    else if (marker === Marker.end) report.ended = true;
  }
  return report;
}

/** A string as a grep -E pattern matching it literally. */
export function escapeEre(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
