// A small JSON Schema validator for the subset docs/json.md uses (type,
// const, enum, required, properties, items, pattern, minimum, and oneOf whose
// branches are told apart by `properties.type.const`). Hand-written so the
// contract test needs no dependency; it returns every problem, not the first.
export interface Schema {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
  const?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  pattern?: string;
  minimum?: number;
  oneOf?: Schema[];
}

export function validate(value: unknown, schema: Schema, path = '$'): string[] {
  const errors: string[] = [];
  const fail = (m: string) => errors.push(`${path}: ${m} (got ${JSON.stringify(value)})`);
  if (schema.const !== undefined && value !== schema.const) fail(`must be ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) fail(`must be one of ${JSON.stringify(schema.enum)}`);
  if (schema.type && !hasType(value, schema.type))
    return [...errors, `${path}: must be of type ${schema.type} (got ${JSON.stringify(value)})`];
  if (typeof value === 'string' && schema.pattern && !new RegExp(schema.pattern).test(value)) fail(`must match ${schema.pattern}`);
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) fail(`must be at least ${schema.minimum}`);
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...validate(v, schema.items!, `${path}[${i}]`)));
  if (isObject(value)) {
    for (const key of schema.required ?? []) if (!(key in value)) errors.push(`${path}: missing required ${key}`);
    for (const [key, sub] of Object.entries(schema.properties ?? {}))
      if (key in value) errors.push(...validate(value[key], sub, `${path}.${key}`));
  }
  if (schema.oneOf) {
    const branch = schema.oneOf.find((b) => isObject(value) && b.properties?.type?.const === value.type);
    if (!branch) fail(`matches none of the ${schema.oneOf.length} event types`);
    else errors.push(...validate(value, branch, path));
  }
  return errors;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasType(v: unknown, type: NonNullable<Schema['type']>): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(v);
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObject(v);
    default:
      return typeof v === type;
  }
}

/** The ```json blocks of a Markdown file, by their $id's fragment (#event, #deploy-result). */
export function schemasIn(markdown: string): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const m of markdown.matchAll(/```json\n([\s\S]*?)\n```/g)) {
    const schema = JSON.parse(m[1]) as Schema & { $id?: string };
    if (schema.$id) out[schema.$id.split('#')[1]] = schema;
  }
  return out;
}
