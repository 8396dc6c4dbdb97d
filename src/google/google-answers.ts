import { z } from 'zod';

/**
 * What Google's endpoints must answer for us to use it (google-oauth-spec.md §3, §5, §6). Anything
 * else is refused as a bad upstream answer rather than coerced into something plausible.
 */

const text = z.string().max(8192);

/** The token endpoint (code exchange and refresh). `expires_in` is read on its own: see readExpiresIn. */
export const tokenEndpointAnswer = z.object({
  access_token: text.min(1),
  refresh_token: text.nullish(),
  expires_in: z.unknown().optional(),
  scope: text.optional(),
  token_type: z
    .string()
    .regex(/^bearer$/i, 'only Bearer tokens are used')
    .optional(),
  id_token: text.optional(),
});

/** OpenID Connect userinfo; every claim but `sub` is optional ("never guaranteed"). */
export const userinfoAnswer = z.object({
  sub: z.string().min(1).max(255),
  email: text.optional(),
  email_verified: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
    .optional(),
  name: text.optional(),
  given_name: text.optional(),
  family_name: text.optional(),
  picture: text.optional(),
  locale: text.optional(),
  hd: text.optional(),
});

export type GoogleUserinfo = z.infer<typeof userinfoAnswer>;

const scalar = z.union([text, z.number(), z.boolean()]).transform(String);

/** tokeninfo of a valid token: every value a scalar (Google sends strings), `aud` always present. */
export const tokeninfoAnswer = z
  .object({
    aud: z.string().min(1).max(512),
    scope: text.optional(),
    email: text.optional(),
  })
  .catchall(scalar);

/** Google's error body on the token endpoint and the APIs. */
export const errorAnswer = z.object({
  error: z.unknown().optional(),
  error_description: z.unknown().optional(),
});

/** One line naming the first field that broke the schema (never its value). */
export function describeSchemaError(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.join('.') || 'body'}: ${issue.message}`;
}
