// dist/src/render/precompiled.js is written by scripts/precompile-templates.mjs
// at build time (the bundled templates, compiled); this is its shape. `spec`
// is what Handlebars.template() takes.
export declare const precompiled: Record<string, { source: string; spec: object }>;
