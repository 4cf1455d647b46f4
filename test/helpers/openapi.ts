/**
 * A structural check of an OpenAPI 3.0 document, after the specification's
 * rules that generated documents break in practice: JSON-Schema features that
 * 3.0 lacks (a list of types, type "null", const), path templates without their
 * required path parameters, responses without descriptions, security schemes
 * that are not declared. Returns the problems, each with where it is.
 */
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const TYPES = new Set(['array', 'boolean', 'integer', 'number', 'object', 'string']);
const SCHEMA_KEYS = new Set([
  'title', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems',
  'uniqueItems', 'maxProperties', 'minProperties', 'required', 'enum', 'type', 'allOf', 'oneOf', 'anyOf', 'not', 'items', 'properties',
  'additionalProperties', 'description', 'format', 'default', 'nullable', 'discriminator', 'readOnly', 'writeOnly', 'xml', 'externalDocs',
  'example', 'deprecated', '$ref',
]);
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function openApi30Problems(doc: unknown): string[] {
  const p: string[] = [];
  if (!isObj(doc)) return ['the document is not an object'];
  if (typeof doc.openapi !== 'string' || !/^3\.0\.\d+$/.test(doc.openapi)) p.push(`openapi: "${String(doc.openapi)}" is not 3.0.x`);
  const info = doc.info;
  if (!isObj(info) || typeof info.title !== 'string' || typeof info.version !== 'string') p.push('info: needs a title and a version');
  const schemes = isObj(doc.components) && isObj(doc.components.securitySchemes) ? doc.components.securitySchemes : {};
  const checkSecurity = (sec: unknown, at: string) => {
    if (sec === undefined) return;
    if (!Array.isArray(sec)) return p.push(`${at}: security is not a list`);
    for (const req of sec) for (const name of Object.keys(req as Obj)) if (!(name in schemes)) p.push(`${at}: security scheme "${name}" is not declared`);
  };
  checkSecurity(doc.security, 'security');
  const schema = (s: unknown, at: string): void => {
    if (!isObj(s)) return void p.push(`${at}: a schema must be an object`);
    for (const k of Object.keys(s)) if (!SCHEMA_KEYS.has(k) && !k.startsWith('x-')) p.push(`${at}: "${k}" is not a keyword of an OpenAPI 3.0 schema`);
    if ('type' in s && (typeof s.type !== 'string' || !TYPES.has(s.type))) p.push(`${at}: type ${JSON.stringify(s.type)} is not an OpenAPI 3.0 type`);
    if (s.type === 'array' && !('items' in s)) p.push(`${at}: an array schema needs items`);
    if ('nullable' in s && typeof s.nullable !== 'boolean') p.push(`${at}: nullable must be true or false`);
    if (isObj(s.properties)) for (const [k, v] of Object.entries(s.properties)) schema(v, `${at}.properties.${k}`);
    if ('items' in s) schema(s.items, `${at}.items`);
    if (isObj(s.additionalProperties)) schema(s.additionalProperties, `${at}.additionalProperties`);
    for (const k of ['allOf', 'oneOf', 'anyOf'] as const) if (Array.isArray(s[k])) (s[k] as unknown[]).forEach((x, i) => schema(x, `${at}.${k}[${i}]`));
  };
  const content = (c: unknown, at: string) => {
    if (!isObj(c)) return void p.push(`${at}: content must be an object`);
    for (const [type, media] of Object.entries(c)) if (isObj(media) && 'schema' in media) schema(media.schema, `${at}.${type}.schema`);
  };
  if (!isObj(doc.paths)) return [...p, 'paths: missing'];
  const operationIds = new Set<string>();
  for (const [route, item] of Object.entries(doc.paths)) {
    if (!route.startsWith('/')) p.push(`${route}: a path starts with /`);
    if (/:\w/.test(route)) p.push(`${route}: path parameters are written {name}, not :name`);
    if (!isObj(item)) continue;
    const templated = [...route.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters' || method === 'summary' || method === 'description') continue;
      const at = `${method.toUpperCase()} ${route}`;
      if (!METHODS.has(method)) p.push(`${at}: not an HTTP method`);
      if (!isObj(op)) continue;
      if (typeof op.operationId === 'string') {
        if (operationIds.has(op.operationId)) p.push(`${at}: operationId ${op.operationId} is not unique`);
        operationIds.add(op.operationId);
      }
      const params = [...(Array.isArray(item.parameters) ? item.parameters : []), ...(Array.isArray(op.parameters) ? op.parameters : [])] as Obj[];
      for (const prm of params) {
        if (typeof prm.name !== 'string' || !['query', 'header', 'path', 'cookie'].includes(String(prm.in))) p.push(`${at}: a parameter needs a name and in`);
        if (prm.in === 'path' && prm.required !== true) p.push(`${at}: path parameter ${String(prm.name)} must be required`);
        if (prm.in === 'path' && !templated.includes(String(prm.name))) p.push(`${at}: path parameter ${String(prm.name)} is not in the path`);
        if ('schema' in prm) schema(prm.schema, `${at} parameter ${String(prm.name)}`);
        else if (!('content' in prm)) p.push(`${at}: parameter ${String(prm.name)} has neither schema nor content`);
      }
      for (const name of templated) if (!params.some((x) => x.in === 'path' && x.name === name)) p.push(`${at}: {${name}} is not declared as a path parameter`);
      if (op.requestBody !== undefined) {
        if (!isObj(op.requestBody) || !isObj(op.requestBody.content)) p.push(`${at}: requestBody needs content`);
        else content(op.requestBody.content, `${at} requestBody`);
      }
      if (!isObj(op.responses) || Object.keys(op.responses).length === 0) p.push(`${at}: needs at least one response`);
      else
        for (const [code, r] of Object.entries(op.responses)) {
          if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) p.push(`${at}: response "${code}" is not a status code`);
          if (!isObj(r) || typeof r.description !== 'string') p.push(`${at} ${code}: a response needs a description`);
          else if ('content' in r) content(r.content, `${at} ${code}`);
        }
      checkSecurity(op.security, at);
    }
  }
  return p;
}
