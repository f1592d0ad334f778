// What a failed remote script said, short enough for an error's details.
import { parseMarker } from '../remote/protocol.js';

/** The last `n` lines of a script's stderr, without its protocol markers. */
export function tail(text: string, n = 20): string {
  return text
    .trim()
    .split('\n')
    .filter((l) => !parseMarker(l))
    .slice(-n)
    .join('\n');
}
