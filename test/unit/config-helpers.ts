// Shared by the config tests: where fixtures live (tests run from dist/).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const configFixtures = join(repoRoot, 'test', 'fixtures', 'config');
