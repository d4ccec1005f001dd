/**
 * A Node built-in module (`node:stream`, `node:diagnostics_channel`), taken at run time through
 * `process.getBuiltinModule` rather than imported: the core must load in a browser bundle,
 * where there is no such module and the callers do without it.
 */
export function nodeBuiltin<T>(id: string): T | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process;
  return runtime?.getBuiltinModule?.(id) as T | undefined;
}
