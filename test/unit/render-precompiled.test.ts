// The bundled templates are compiled at build time (scripts/precompile-templates.mjs):
// rendering them loads Handlebars' runtime only, never its compiler; an
// override (or an edited template) is compiled, with the same result.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

const renderer = fileURLToPath(new URL('../../src/render/renderer.js', import.meta.url));

/** In a fresh node: load every bundled template (an override dir may replace some), then say whether the compiler was loaded. */
function loadTemplates(overrideDir?: string): { compilerLoaded: boolean; out: string } {
  const script = `
    import { createRenderer, bundledTemplatesDir } from ${JSON.stringify(renderer)};
    import { readFileSync, readdirSync } from 'node:fs';
    import { createRequire } from 'node:module';
    const r = createRenderer({
      templatesDir: bundledTemplatesDir(),
      overrideDir: ${JSON.stringify(overrideDir ?? null)} ?? undefined,
      readFile: (p) => { try { return readFileSync(p, 'utf8'); } catch { return undefined; } },
    });
    for (const t of readdirSync(bundledTemplatesDir())) r.templatePath(t);
    const out = r.render('timer.hbs', { description: 'shop (admin) report', onCalendar: '*-*-* 03:00:00', serviceUnit: 'shop-report.service' });
    const cache = Object.keys(createRequire(${JSON.stringify(renderer)}).cache);
    console.log(JSON.stringify({ compilerLoaded: cache.some((k) => /handlebars[\\\\/]compiler[\\\\/]/.test(k)), out }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { compilerLoaded: boolean; out: string };
}

test('the bundled templates render without loading the Handlebars compiler', () => {
  assert.equal(loadTemplates().compilerLoaded, false);
});

test('an override is compiled (the compiler loads then), and renders like the precompiled template it copies', () => {
  const dir = tempDir('deployer-override-');
  const bundled = fileURLToPath(new URL('../../../templates/timer.hbs', import.meta.url));
  writeFileSync(join(dir, 'timer.hbs'), readFileSync(bundled, 'utf8') + '\n# edited\n');
  const edited = loadTemplates(dir);
  assert.equal(edited.compilerLoaded, true);
  assert.equal(edited.out, loadTemplates().out + '\n# edited\n');
});
