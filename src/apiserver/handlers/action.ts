// POST to an action subresource (cancel, retry): answered at once, like pods/eviction.
import { parseBody, readBody } from '../http/body.js';
import { parseWriteOptions } from '../http/options.js';
import { encodeObject, negotiate, setWarnings, writeJSON } from '../http/respond.js';
import type { NamedCreater } from '../rest.js';
import type { KubeObject } from '../types.js';
import { assertNoExtraPath, includeObject } from './read.js';
import type { HandlerArgs } from './types.js';

export async function handleAction(a: HandlerArgs, action: NamedCreater): Promise<void> {
  assertNoExtraPath(a.info);
  const target = negotiate(a.ctx, ['Object', 'Table', 'PartialObjectMetadata']);
  const opts = parseWriteOptions(a.query, 'CreateOptions');
  const body = await readBody(a.ctx);
  const decoded = body.length > 0 ? parseBody(a.ctx, body, ['application/json', 'application/yaml'], a.info.subresource) : undefined;
  a.req.dryRun = opts.dryRun;
  const result = await action.create(a.req, a.info.name, decoded as KubeObject | undefined);
  setWarnings(a.ctx.res, a.req.warnings);
  writeJSON(a.ctx, 201, encodeObject(result, target, a.install.table, includeObject(a.query, target)));
}
