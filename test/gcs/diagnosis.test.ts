import { diagnoseSignedUrlResponse, getSignedUrl } from "@skewguard/gcs";
import { describe, expect, it } from "vitest";
import { expectNothingSecret, gcsServer, MINUTE, recorder, storageFor } from "./fixtures.js";

describe("why a signed URL was refused", () => {
  it("ExpiredToken: the SDK's URL from a client 20 minutes behind", async () => {
    const server = await gcsServer(20 * MINUTE);
    const rec = recorder();
    const storage = await storageFor(server, { wrap: rec.options });
    await storage.bucket("bkt").getFiles(); // the offset is known
    const [url] = await storage
      .bucket("bkt")
      .file("o")
      .getSignedUrl({ version: "v4", action: "read", expires: Date.now() + 10 * MINUTE });
    const response = await fetch(url);
    expect(response.status).toBe(400);

    const diagnosis = await diagnoseSignedUrlResponse(url, response, { storage });
    expect(diagnosis.cause).toBe("presigned-expired");
    const event = rec.events.find((e) => e.type === "signature.diagnosed");
    expect(event).toMatchObject({
      provider: "gcs",
      host: new URL(server.url).host,
      operation: "signed-url",
    });
    expectNothingSecret(
      [...rec.events.map((e) => JSON.stringify(e)), ...rec.lines],
      [new URL(url).searchParams.get("X-Goog-Signature") ?? "no signature"],
    );
  });

  it("SignatureDoesNotMatch: names the signed header the request changed", async () => {
    const server = await gcsServer(0);
    const rec = recorder();
    const storage = await storageFor(server, { wrap: rec.options });
    const [url] = await getSignedUrl(storage.bucket("bkt").file("o"), {
      version: "v4",
      action: "write",
      contentType: "text/plain",
      expires: Date.now() + 10 * MINUTE,
    });
    const response = await fetch(url, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(403);

    const diagnosis = await diagnoseSignedUrlResponse(url, response, { storage });
    expect(diagnosis.cause).toBe("request-changed");
    expect(diagnosis.firstDifference).toMatchObject({
      client: expect.stringContaining("text/plain"),
      server: expect.stringContaining("application/json"),
    });
  });

  it("MalformedSecurityHeader: a mangled X-Goog-Date", async () => {
    const server = await gcsServer(0);
    const rec = recorder();
    const storage = await storageFor(server, { wrap: rec.options });
    const [url] = await getSignedUrl(storage.bucket("bkt").file("o"), {
      version: "v4",
      action: "read",
      expires: Date.now() + 10 * MINUTE,
    });
    const mangled = url.replace(/X-Goog-Date=\d{8}T\d{6}Z/, "X-Goog-Date=yesterday");
    const response = await fetch(mangled);
    const body = await response.text();
    expect(body).toContain("<Code>MalformedSecurityHeader</Code>");

    const diagnosis = await diagnoseSignedUrlResponse(mangled, {
      status: response.status,
      headers: response.headers,
      body,
    });
    expect(diagnosis.cause).not.toMatch(/clock/);
    expect(diagnosis.evidence.map((e) => e.value).join(" ")).toContain("MalformedSecurityHeader");
  });
});
