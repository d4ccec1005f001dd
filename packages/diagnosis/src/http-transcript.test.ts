import { describe, expect, it } from "vitest";
import { readHttpTranscript } from "./http-transcript.js";

describe("readHttpTranscript", () => {
  it("reads curl -v: the request's and the response's headers, past the command line", () => {
    const text = `$ curl -v https://minio.example.internal:9000/b/
* Connected to minio.example.internal
> GET /b/ HTTP/1.1
> Host: minio.example.internal:9000
> x-amz-date: 20261207T080102Z
>
< HTTP/1.1 403 Forbidden
< Server: MinIO
< Date: Mon, 07 Dec 2026 08:41:55 GMT
<
<?xml version="1.0"?><Error><Code>RequestTimeTooSkewed</Code></Error>`;
    const t = readHttpTranscript(text);
    expect(t.status).toBe(403);
    expect(t.request).toEqual({ method: "GET", target: "/b/" });
    expect(t.requestHeaders).toMatchObject({
      host: "minio.example.internal:9000",
      "x-amz-date": "20261207T080102Z",
    });
    expect(t.responseHeaders).toEqual({ server: "MinIO", date: "Mon, 07 Dec 2026 08:41:55 GMT" });
  });

  it("reads the Go SDK's wire dump and curl -i after log lines, the last response winning", () => {
    const text = `SDK 2026/12/07 10:52:14 DEBUG Request
PUT /k HTTP/1.1
Host: b.s3.amazonaws.com
X-Amz-Date: 20261207T105214Z

SDK 2026/12/07 10:52:14 DEBUG Response
HTTP/1.1 403 Forbidden
Date: Mon, 07 Dec 2026 10:30:01 GMT

<Error/>`;
    const t = readHttpTranscript(text);
    expect(t.request?.method).toBe("PUT");
    expect(t.requestHeaders["x-amz-date"]).toBe("20261207T105214Z");
    expect(t.responseHeaders["date"]).toBe("Mon, 07 Dec 2026 10:30:01 GMT");
  });

  it("reads botocore's dicts, gsutil's tuples and the .NET Headers: block", () => {
    const boto = `2026-12-07 - DEBUG - Sending http request: <AWSPreparedRequest stream_output=False, method=PUT, url=https://b.s3.amazonaws.com/k, headers={'X-Amz-Date': b'20261207T091204Z', 'Content-Length': '4'}>
2026-12-07 - DEBUG - Response headers: {'Date': 'Mon, 07 Dec 2026 09:19:06 GMT', 'x-amz-request-id': 'R1'}`;
    const t = readHttpTranscript(boto);
    expect(t.request).toEqual({ method: "PUT", target: "https://b.s3.amazonaws.com/k" });
    expect(t.requestHeaders["x-amz-date"]).toBe("20261207T091204Z");
    expect(t.responseHeaders["date"]).toBe("Mon, 07 Dec 2026 09:19:06 GMT");
    const gsutil = `Response headers: [('x-amz-request-id', 'R2'), ('Date', 'Mon, 07 Dec 2026 20:48:05 GMT')]`;
    expect(readHttpTranscript(gsutil).responseHeaders["date"]).toBe(
      "Mon, 07 Dec 2026 20:48:05 GMT",
    );
    const dotnet = `Status: 403 (Server failed)\n\nHeaders:\nx-ms-request-id: R3\nDate: Mon, 07 Dec 2026 09:44:12 GMT\n\n   at Azure.Storage...`;
    expect(readHttpTranscript(dotnet).responseHeaders).toEqual({
      "x-ms-request-id": "R3",
      date: "Mon, 07 Dec 2026 09:44:12 GMT",
    });
  });

  it("reads a printed response object (s3cmd, Elixir)", () => {
    const s3cmd = `DEBUG: Response:\n{'data': b'<Error/>', 'headers': {'date': 'Mon, 07 Dec 2026 17:15:40 GMT', 'cf-ray': 'abc-AMS'}, 'reason': 'Forbidden', 'status': 403}`;
    const t = readHttpTranscript(s3cmd);
    expect(t.status).toBe(403);
    expect(t.responseHeaders["cf-ray"]).toBe("abc-AMS");
    const elixir = `{:error, {:http_error, 403, %{body: "x", headers: [{"Date", "Mon, 07 Dec 2026 10:18:12 GMT"}], status_code: 403}}}`;
    expect(readHttpTranscript(elixir).responseHeaders["date"]).toBe(
      "Mon, 07 Dec 2026 10:18:12 GMT",
    );
  });

  it("reads nothing from prose, and never throws", () => {
    expect(readHttpTranscript("the upload failed")).toEqual({
      responseHeaders: {},
      requestHeaders: {},
      sources: [],
    });
    expect(() => readHttpTranscript("HTTP/1.1 403\n".repeat(10_000))).not.toThrow();
  });
});
