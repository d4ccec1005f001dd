import { describe, expect, it } from "vitest";
import { operationName } from "./operation.js";

const base = "https://acct.blob.core.windows.net";
const none = () => false;

describe("operationName", () => {
  it.each([
    ["PUT", "/c?restype=container", "CreateContainer"],
    ["GET", "/c?restype=container&comp=list&prefix=a", "ListBlobs"],
    ["GET", "/?comp=list", "ListContainers"],
    ["PUT", "/c/b", "PutBlob"],
    ["PUT", "/c/b?comp=block&blockid=AAAA", "PutBlock"],
    ["PUT", "/c/b?comp=blocklist", "PutBlockList"],
    ["GET", "/c/b", "GetBlob"],
    ["HEAD", "/c/b", "GetBlobProperties"],
    ["DELETE", "/c/b", "DeleteBlob"],
    ["DELETE", "/c?restype=container", "DeleteContainer"],
  ])("%s %s is %s", (method, path, name) => {
    expect(operationName(method, base + path, none)).toBe(name);
  });

  it("tells a copy from an upload by its header", () => {
    expect(operationName("PUT", `${base}/c/b`, (h) => h === "x-ms-copy-source")).toBe("CopyBlob");
  });

  it("names nothing it does not know", () => {
    expect(operationName("PATCH", `${base}/c/b`, none)).toBeUndefined();
    expect(operationName("GET", "not a url", none)).toBeUndefined();
  });
});
