/**
 * Request validation with zod. Routes declare zod schemas; the OpenAPI document gets their JSON
 * Schema, and requests are checked by the zod schema itself, so both can never disagree.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';

const zodByJsonSchema = new WeakMap<object, z.ZodType>();

/** Turns a zod schema into the JSON Schema a Fastify route declares (and remembers the pair). */
export function schemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  zodByJsonSchema.set(json, schema);
  return json;
}

export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema }) => {
  const zod = zodByJsonSchema.get(schema as object);
  if (!zod) return (data: unknown) => ({ value: data });
  return (data: unknown) => {
    const result = zod.safeParse(data);
    if (result.success) return { value: result.data };
    const error = new Error(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; '),
    ) as Error & { validation: unknown };
    error.validation = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    return { error };
  };
};
