import { createHash, randomBytes } from "node:crypto";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type PresignedPostOptions, createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { XMLParser } from "fast-xml-parser";
import { afterEach, describe, expect, it } from "vitest";
import { type S3TestServer, type S3TestServerOptions, startS3TestServer } from "./s3-server.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const MINUTE = 60_000;
const xml = new XMLParser({ parseTagValue: false });
// biome-ignore lint/suspicious/noTemplateCurlyInString: S3's own placeholder, not a template.
const FILENAME = "${filename}";

let servers: S3TestServer[] = [];
let clients: S3Client[] = [];
afterEach(async () => {
  for (const client of clients) client.destroy();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
  clients = [];
});

async function setup(options: S3TestServerOptions = {}, secret = SECRET) {
  const server = await startS3TestServer(options);
  servers.push(server);
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: server.url,
    forcePathStyle: true,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret },
  });
  clients.push(s3);
  return { server, s3 };
}

type PostParams = Omit<PresignedPostOptions, "Bucket"> & { Bucket?: string };

/** What a browser does with a presigned POST: every field, then the file, as multipart/form-data. */
async function browserPost(
  s3: S3Client,
  params: PostParams,
  file: Buffer,
  tamper: (form: FormData) => void = () => {},
) {
  // s3-presigned-post is pinned to its own client-s3 version: the client is the same shape.
  const { url, fields } = await createPresignedPost(s3 as never, { Bucket: "b", ...params });
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  tamper(form);
  form.append("file", new Blob([file]), "photo.jpg");
  const response = await fetch(url, { method: "POST", body: form });
  const body = await response.text();
  return { url, fields, response, body };
}

function errorOf(body: string): Record<string, string> {
  return (xml.parse(body) as { Error: Record<string, string> }).Error;
}

describe("browser-style POST uploads", () => {
  it("store the file of a presigned POST and answer 204 with its ETag and Location", async () => {
    const { server, s3 } = await setup();
    const file = randomBytes(5000);
    const { url, response, body } = await browserPost(
      s3,
      { Key: "uploads/a.jpg", Fields: { "Content-Type": "image/jpeg" }, Expires: 600 },
      file,
    );
    expect(url).toBe(`${server.url}/b`);
    expect([response.status, body]).toEqual([204, ""]);
    expect(response.headers.get("etag")).toBe(`"${createHash("md5").update(file).digest("hex")}"`);
    expect(response.headers.get("location")).toBe(`${server.url}/b/uploads/a.jpg`);
    expect(server.objects.get("b/uploads/a.jpg")?.equals(file)).toBe(true);
    const object = await s3.send(new GetObjectCommand({ Bucket: "b", Key: "uploads/a.jpg" }));
    expect(object.ContentType).toBe("image/jpeg");
    const entry = server.log.find((e) => e.method === "POST");
    expect([entry?.operation, entry?.key, entry?.signedAt]).toEqual([
      "PostObject",
      "uploads/a.jpg",
      expect.stringMatching(/^\d{8}T\d{6}Z$/),
    ]);
  });

  it("answer 201 with a PostResponse document when success_action_status is 201", async () => {
    const { server, s3 } = await setup();
    const file = Buffer.from("hello");
    const { response, body } = await browserPost(
      s3,
      { Key: "k", Fields: { success_action_status: "201" } },
      file,
    );
    expect(response.status).toBe(201);
    expect((xml.parse(body) as { PostResponse: unknown }).PostResponse).toEqual({
      Location: `${server.url}/b/k`,
      Bucket: "b",
      Key: "k",
      ETag: `"${createHash("md5").update(file).digest("hex")}"`,
    });
  });

  it(`put the file's name in place of ${FILENAME}`, async () => {
    const { server, s3 } = await setup();
    const { response } = await browserPost(s3, { Key: `user/${FILENAME}` }, Buffer.from("x"));
    expect(response.status).toBe(204);
    expect(server.objects.has("b/user/photo.jpg")).toBe(true);
  });

  it("refuse a policy expired on the server's clock (a client 20 minutes behind, 10-minute policy)", async () => {
    const { server, s3 } = await setup({ clockOffsetMs: 20 * MINUTE });
    const { response, body } = await browserPost(s3, { Key: "k", Expires: 600 }, Buffer.from("x"));
    expect(response.status).toBe(403);
    expect(errorOf(body)).toMatchObject({
      Code: "AccessDenied",
      Message: "Invalid according to Policy: Policy expired.",
    });
    expect(server.objects.has("b/k")).toBe(false);
    // The same policy on a server whose clock agrees.
    server.setClockOffset(0);
    expect(
      (await browserPost(s3, { Key: "k", Expires: 600 }, Buffer.from("x"))).response.status,
    ).toBe(204);
  });

  it("refuse fields no condition names", async () => {
    const { s3 } = await setup();
    const { response, body } = await browserPost(s3, { Key: "k" }, Buffer.from("x"), (form) => {
      form.append("x-amz-meta-extra", "1");
      form.append("Content-Type", "text/plain");
      form.append("x-ignore-me", "fine");
    });
    expect(response.status).toBe(403);
    expect(errorOf(body)).toMatchObject({
      Code: "AccessDenied",
      Message: "Invalid according to Policy: Extra input fields: x-amz-meta-extra, content-type",
    });
  });

  it("refuse a file outside content-length-range with EntityTooLarge or EntityTooSmall", async () => {
    const { server, s3 } = await setup();
    const large = await browserPost(
      s3,
      { Key: "k", Conditions: [["content-length-range", 10, 100]] },
      randomBytes(101),
    );
    expect(large.response.status).toBe(400);
    expect(errorOf(large.body)).toMatchObject({
      Code: "EntityTooLarge",
      Message: "Your proposed upload exceeds the maximum allowed size",
      ProposedSize: "101",
      MaxSizeAllowed: "100",
    });
    const small = await browserPost(
      s3,
      { Key: "k", Conditions: [["content-length-range", 10, 100]] },
      randomBytes(9),
    );
    expect([small.response.status, errorOf(small.body).Code]).toEqual([400, "EntityTooSmall"]);
    expect(server.objects.has("b/k")).toBe(false);
    const fits = await browserPost(
      s3,
      { Key: "k", Conditions: [["content-length-range", 10, 100]] },
      randomBytes(100),
    );
    expect(fits.response.status).toBe(204);
  });

  it("check eq and starts-with conditions, quoting the one that failed", async () => {
    const { s3 } = await setup();
    const post = (key: string, contentType: string) =>
      browserPost(
        s3,
        {
          Key: `uploads/${FILENAME}`,
          Conditions: [["starts-with", "$Content-Type", "image/"]],
        },
        Buffer.from("x"),
        (form) => {
          form.set("key", key);
          form.append("Content-Type", contentType);
        },
      );
    expect((await post("uploads/a.png", "image/png")).response.status).toBe(204);
    const type = await post("uploads/a.png", "text/html");
    expect(errorOf(type.body)).toMatchObject({
      Code: "AccessDenied",
      Message:
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]',
    });
    const key = await post("elsewhere/a.png", "image/png");
    expect(errorOf(key.body).Message).toBe(
      'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]',
    );
    // The bucket in the URL must be the policy's.
    const { fields } = await createPresignedPost(s3 as never, { Bucket: "b", Key: "k" });
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append("file", new Blob(["x"]));
    const response = await fetch(`${servers[0]?.url}/other`, { method: "POST", body: form });
    expect(errorOf(await response.text()).Message).toBe(
      'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "b"]',
    );
  });

  it("refuse a policy signed with another secret, showing the policy as the string to sign", async () => {
    const { s3 } = await setup({}, "another secret");
    const { fields, response, body } = await browserPost(s3, { Key: "k" }, Buffer.from("x"));
    expect(response.status).toBe(403);
    expect(errorOf(body)).toMatchObject({
      Code: "SignatureDoesNotMatch",
      AWSAccessKeyId: "AKIDEXAMPLE",
      StringToSign: fields["Policy"],
      SignatureProvided: fields["X-Amz-Signature"],
    });
  });

  it("refuse anonymous posts, missing fields and bodies over the cap", async () => {
    const { server } = await setup({ maxPostBodyBytes: 30_000 });
    const anonymous = new FormData();
    anonymous.append("key", "k");
    anonymous.append("file", new Blob(["x"]));
    const denied = await fetch(`${server.url}/b`, { method: "POST", body: anonymous });
    expect([denied.status, errorOf(await denied.text()).Code]).toEqual([403, "AccessDenied"]);

    const noFile = new FormData();
    noFile.append("key", "k");
    const missing = await fetch(`${server.url}/b`, { method: "POST", body: noFile });
    expect(errorOf(await missing.text())).toMatchObject({
      Code: "InvalidArgument",
      Message: "POST requires exactly one file upload per request.",
      ArgumentName: "file",
    });

    const big = new FormData();
    big.append("key", "k");
    big.append("file", new Blob([randomBytes(40_000)]));
    const tooLarge = await fetch(`${server.url}/b`, { method: "POST", body: big });
    expect([tooLarge.status, errorOf(await tooLarge.text()).Code]).toEqual([400, "EntityTooLarge"]);

    const preData = new FormData();
    preData.append("key", "k");
    preData.append("x-ignore-padding", "p".repeat(21 * 1024));
    preData.append("file", new Blob(["x"]));
    const long = await fetch(`${server.url}/b`, { method: "POST", body: preData });
    expect(errorOf(await long.text()).Code).toBe("MaxPostPreDataLengthExceededError");
  });
});
