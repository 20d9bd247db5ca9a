// An `application/x-www-form-urlencoded` body as a plain record, the shape the Twilio signature and
// webhook parsers take: a name sent once maps to its value, a name sent several times to all its values.
export type FormParams = Record<string, string | string[]>;

export function parseFormParams(body: string | URLSearchParams): FormParams {
  const search = typeof body === 'string' ? new URLSearchParams(body) : body;
  const params: FormParams = Object.create(null) as FormParams;
  for (const [name, value] of search) {
    const previous = params[name];
    if (previous === undefined) params[name] = value;
    else if (typeof previous === 'string') params[name] = [previous, value];
    else previous.push(value);
  }
  return params;
}

export function encodeFormParams(params: Readonly<Record<string, string | readonly string[] | undefined>>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const item of typeof value === 'string' ? [value] : value) search.append(name, item);
  }
  return search.toString();
}
