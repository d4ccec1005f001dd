/**
 * The REST operation a request performs, named as the Blob service documents it, read from the
 * method and the `restype`/`comp` query parameters: independent of the SDK's internals, so it
 * holds across SDK versions. Classification as data; the first matching row wins.
 */

interface OperationRule {
  method: string;
  restype?: string;
  comp?: string;
  /** Matches only when this header is present. */
  header?: string;
  name: string;
}

const RULES: readonly OperationRule[] = [
  { method: "GET", comp: "list", restype: "container", name: "ListBlobs" },
  { method: "GET", comp: "list", name: "ListContainers" },
  { method: "PUT", restype: "container", comp: "metadata", name: "SetContainerMetadata" },
  { method: "GET", restype: "container", comp: "acl", name: "GetContainerACL" },
  { method: "PUT", restype: "container", comp: "acl", name: "SetContainerACL" },
  { method: "PUT", restype: "container", comp: "lease", name: "LeaseContainer" },
  { method: "PUT", restype: "container", name: "CreateContainer" },
  { method: "DELETE", restype: "container", name: "DeleteContainer" },
  { method: "GET", restype: "container", name: "GetContainerProperties" },
  { method: "HEAD", restype: "container", name: "GetContainerProperties" },
  { method: "GET", restype: "service", comp: "properties", name: "GetBlobServiceProperties" },
  { method: "PUT", restype: "service", comp: "properties", name: "SetBlobServiceProperties" },
  { method: "GET", restype: "service", comp: "stats", name: "GetBlobServiceStats" },
  { method: "GET", restype: "account", comp: "properties", name: "GetAccountInformation" },
  { method: "POST", comp: "batch", name: "BlobBatch" },
  { method: "PUT", comp: "block", name: "PutBlock" },
  { method: "PUT", comp: "blocklist", name: "PutBlockList" },
  { method: "GET", comp: "blocklist", name: "GetBlockList" },
  { method: "PUT", comp: "page", name: "PutPage" },
  { method: "GET", comp: "pagelist", name: "GetPageRanges" },
  { method: "PUT", comp: "appendblock", name: "AppendBlock" },
  { method: "PUT", comp: "metadata", name: "SetBlobMetadata" },
  { method: "GET", comp: "metadata", name: "GetBlobMetadata" },
  { method: "PUT", comp: "properties", name: "SetBlobProperties" },
  { method: "PUT", comp: "lease", name: "LeaseBlob" },
  { method: "PUT", comp: "snapshot", name: "SnapshotBlob" },
  { method: "PUT", comp: "tags", name: "SetBlobTags" },
  { method: "GET", comp: "tags", name: "GetBlobTags" },
  { method: "PUT", comp: "tier", name: "SetBlobTier" },
  { method: "PUT", comp: "undelete", name: "UndeleteBlob" },
  { method: "PUT", header: "x-ms-copy-source", name: "CopyBlob" },
  { method: "PUT", name: "PutBlob" },
  { method: "GET", name: "GetBlob" },
  { method: "HEAD", name: "GetBlobProperties" },
  { method: "DELETE", name: "DeleteBlob" },
];

export function operationName(
  method: string,
  url: string | URL,
  hasHeader: (name: string) => boolean,
): string | undefined {
  let query: URLSearchParams;
  try {
    query = (typeof url === "string" ? new URL(url) : url).searchParams;
  } catch {
    return undefined;
  }
  const restype = query.get("restype")?.toLowerCase();
  const comp = query.get("comp")?.toLowerCase();
  const verb = method.toUpperCase();
  for (const rule of RULES) {
    if (rule.method !== verb) continue;
    if (rule.restype !== undefined && rule.restype !== restype) continue;
    if (rule.comp !== undefined && rule.comp !== comp) continue;
    if (rule.restype === undefined && restype !== undefined && rule.comp === undefined) continue;
    if (rule.header !== undefined && !hasHeader(rule.header)) continue;
    return rule.name;
  }
  return undefined;
}
