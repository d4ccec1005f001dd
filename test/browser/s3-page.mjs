// The page of test/browser/s3.test.ts: an app built with the AWS SDK's S3 client and
// skewguard's plugin, as a user's bundler makes it for the browser. The test calls
// `window.skewguardTrial` and checks what the page saw against what the server counted.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl as bareGetSignedUrl } from "@aws-sdk/s3-request-presigner";
import { getSignedUrl, getSkewRecoveryPlugin } from "@skewguard/aws-s3";

/** A 1x1 PNG: what an `<img>` can show. */
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

function clientFor(endpoint, config = {}) {
  return new S3Client({
    ...config,
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    },
  });
}

/** Whether the browser could show the URL as an image. */
function loadImage(url) {
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve({ loaded: true, width: img.naturalWidth });
    img.onerror = () => resolve({ loaded: false, width: 0 });
    img.src = url;
    document.body.append(img);
  });
}

async function fetchUrl(url) {
  const response = await fetch(url, { cache: "no-store" });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, bytes: bytes.length, date: response.headers.get("date") };
}

async function attempt(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, name: String(error?.name), message: String(error?.message) };
  }
}

window.skewguardTrial = async ({ endpoint, bucket }) => {
  const events = [];
  const onEvent = (event) => events.push(event);
  const client = clientFor(endpoint);
  client.middlewareStack.use(getSkewRecoveryPlugin(client.config, { onEvent }));
  // A file picked in the page: a Blob, the first request on a clock the page has not learned.
  // The SDK (3.1169) cannot checksum a Blob in a browser, bare or not: the client for files
  // computes checksums only where S3 requires them.
  const files = clientFor(endpoint, { requestChecksumCalculation: "WHEN_REQUIRED" });
  files.middlewareStack.use(getSkewRecoveryPlugin(files.config, { onEvent }));
  const upload = await attempt(async () => {
    const file = new Blob(["hello from the page"], { type: "text/plain" });
    const out = await files.send(
      new PutObjectCommand({ Bucket: bucket, Key: "page/file.txt", Body: file }),
    );
    return out.ETag;
  });
  // Another client of the same page: the offset learned above is shared, no refusal here.
  const putImage = await attempt(async () => {
    const out = await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "page/pixel.png",
        Body: PNG,
        ContentType: "image/png",
      }),
    );
    return out.ETag;
  });
  const get = await attempt(async () => {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: "page/file.txt" }));
    return await out.Body.transformToString();
  });
  const image = new GetObjectCommand({ Bucket: bucket, Key: "page/pixel.png" });
  // Two URLs (different lifetimes), so the fetch is not answered from the image's cache.
  const imgUrl = await getSignedUrl(client, image, { expiresIn: 900 });
  const fetchedUrl = await getSignedUrl(client, image, { expiresIn: 600 });
  const img = await loadImage(imgUrl);
  const fetched = await fetchUrl(fetchedUrl);
  // The same, signed by the SDK's own presigner on a client that has not met the server.
  const bare = clientFor(endpoint);
  const bareImg = await loadImage(await bareGetSignedUrl(bare, image, { expiresIn: 900 }));
  const bareFetched = await fetchUrl(await bareGetSignedUrl(bare, image, { expiresIn: 600 }));
  return { upload, putImage, get, img, fetched, bareImg, bareFetched, events };
};
// One object written and read back through one client with the plugin.
// `bare`: the same without skewguard.
window.skewguardPutGet = async ({ endpoint, bucket, key, bare = false }) => {
  const events = [];
  const client = clientFor(endpoint);
  if (!bare) {
    client.middlewareStack.use(
      getSkewRecoveryPlugin(client.config, { onEvent: (e) => events.push(e) }),
    );
  }
  const put = await attempt(async () => {
    const out = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    return out.ETag;
  });
  const get = await attempt(async () => {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body.transformToString();
  });
  return { put, get, events: events.map((event) => event.type) };
};
window.pageReady = true;
