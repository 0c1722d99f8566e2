// The README's configuration reference, generated from the schema so the two cannot drift apart.
import * as z from 'zod';
import { ENVIRONMENT, fileSchema } from './config.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
}

export function configReference(): string {
  const rows: string[] = [];
  const walk = (schema: JsonSchema, path: string) => {
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      const name = path ? `${path}.${key}` : key;
      if (child.properties) walk(child, name);
      else {
        const type =
          child.additionalProperties && typeof child.additionalProperties === 'object'
            ? `map of ${child.additionalProperties.type ?? 'value'}`
            : String(child.type ?? 'value');
        rows.push(`| \`${name}\` | ${type} | ${child.description ?? ''} |`);
      }
    }
  };
  walk(z.toJSONSchema(fileSchema, { io: 'input' }) as JsonSchema, '');
  return [
    '| environment variable | meaning |',
    '|---|---|',
    ...ENVIRONMENT.map((e) => `| \`${e.name}\` | ${e.description} |`),
    '',
    '| file key | type | meaning |',
    '|---|---|---|',
    ...rows,
  ].join('\n');
}
