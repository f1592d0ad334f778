// The render module's public surface: pure functions from Config to file contents.
export { createRenderer, bundledTemplatesDir, overrideDirFor, type Renderer, type RendererOptions } from './renderer.js';
export { buildViews, type Views, type UnitView, type CaddyView, type TemplateName, type DeployAction } from './views.js';
export { renderAll, type RenderedHost, type RenderedUnit } from './renderAll.js';
export { unitBaseName, caddySitePath, serviceUnitName } from './names.js';
export { systemdQuote, systemdEscape, caddyQuote } from './templateQuote.js';
export { renderExecStart, resolveProgram, shellLikeVariables, splitCommand } from './execStart.js';
export { parseUpstream, upstreamAddresses } from './upstream.js';
